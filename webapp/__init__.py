"""Shelfsync web application: ``create_app`` builds a configured Flask app."""

from __future__ import annotations

from flask import Flask

from webapp.config import ROOT, build_config


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app from the environment, then apply ``config`` overrides (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(build_config())
    if config:
        app.config.update(config)

    from webapp.logs import configure_logging, init_request_ids

    configure_logging(app.config["LOG_LEVEL"])
    init_request_ids(app)

    from webapp.extensions import csrf, db, htmx, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)

    if app.config["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from webapp import auth, errors, main, runs, templating

    templating.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(runs.bp)
    from webapp import inventory, sources

    app.register_blueprint(sources.bp)
    app.register_blueprint(inventory.bp)
    from webapp.channels import bp as channels_bp

    app.register_blueprint(channels_bp)
    from webapp.connections import bp as connections_bp

    app.register_blueprint(connections_bp)
    from webapp.listings import bp as listings_bp

    app.register_blueprint(listings_bp)
    from webapp.mappings import bp as mappings_bp

    app.register_blueprint(mappings_bp)
    from webapp.shipping import bp as shipping_bp

    app.register_blueprint(shipping_bp)
    from webapp.orders import bp as orders_bp

    app.register_blueprint(orders_bp)
    from webapp.shipments import bp as shipments_bp

    app.register_blueprint(shipments_bp)

    from webapp import cli

    cli.init_app(app)
    return app
