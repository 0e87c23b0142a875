"""Amazon's error shapes: SP-API `{"errors": [...]}` bodies and LWA `{"error", "error_description"}`."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class ApiError(Exception):
    """Raised by an operation handler to answer with an SP-API error body."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        """Describe the error: HTTP status, Amazon error code, message and optional details."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        """The JSON body Amazon sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"errors": [error]}


def error_body(code: str, message: str, details: str = "") -> dict[str, Any]:
    """An SP-API error body with one error."""
    return ApiError(0, code, message, details).body()


QUOTA_EXCEEDED = error_body("QuotaExceeded", "You exceeded your quota for the requested resource.")
UNAUTHORIZED_MESSAGE = "Access to requested resource is denied."
INTERNAL_FAILURE = error_body("InternalFailure", "We encountered an internal error. Please try again.")
SERVICE_UNAVAILABLE = error_body(
    "ServiceUnavailable", "Service temporarily unavailable. Please try again later."
)


def lwa_error(status: int, error: str, description: str) -> Response:
    """An LWA token endpoint error response (`invalid_grant`, `invalid_client`, ...)."""
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response
