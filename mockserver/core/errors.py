"""Errors of the control plane (``/__mock__/``): HTTP 4xx with ``{"error": "..."}``."""
from __future__ import annotations


class ControlError(Exception):
    status = 400

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.message = message
        if status:
            self.status = status


class NotFound(ControlError):
    status = 404


class Conflict(ControlError):
    status = 409
