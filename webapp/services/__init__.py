"""Service layer: multi-model operations shared by views, jobs and the scheduler."""
