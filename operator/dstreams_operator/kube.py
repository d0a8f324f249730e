"""The one module that talks to the Kubernetes API (with the official ``kubernetes`` client).

Calls block; the handlers run them in a thread (``asyncio.to_thread``) so the event loop never
waits on the network. Objects go in and come out as plain dicts, as the API writes them.
"""
from __future__ import annotations

import base64
import json
import logging
from typing import Any
from collections.abc import Mapping

from .manifests import LABEL_JOB
from .spec import GROUP, PLURAL, VERSION

__all__ = ["Kube", "ApiError"]

log = logging.getLogger("dstreams_operator.kube")


class ApiError(Exception):
    """An API call failed; ``status`` is the HTTP status (0 when the server was not reached)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(exc: Exception, what: str) -> ApiError:
    status = int(getattr(exc, "status", 0) or 0)
    detail = getattr(exc, "body", None) or str(exc)
    try:
        detail = json.loads(detail).get("message", detail)
    except (TypeError, ValueError, AttributeError):
        pass
    return ApiError(status, f"{what}: {detail}")


class Kube:
    """A thin synchronous facade over CoreV1Api and CustomObjectsApi."""

    def __init__(self) -> None:
        import kubernetes
        try:
            kubernetes.config.load_incluster_config()
        except kubernetes.config.ConfigException:
            kubernetes.config.load_kube_config()
        self._client = kubernetes.client.ApiClient()
        self.core = kubernetes.client.CoreV1Api(self._client)
        self.custom = kubernetes.client.CustomObjectsApi(self._client)
        self._exc = kubernetes.client.exceptions.ApiException

    @staticmethod
    def _json(resp: Any) -> Any:
        return json.loads(resp.data)

    # ---- reads
    def get_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self._json(self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, _preload_content=False))
        except self._exc as e:
            if e.status == 404:
                return None
            raise _error(e, f"get streamjob {namespace}/{name}") from None

    def list_pods(self, namespace: str, job: str) -> list[dict[str, Any]]:
        try:
            return self._json(self.core.list_namespaced_pod(
                namespace, label_selector=f"{LABEL_JOB}={job}", _preload_content=False))["items"]
        except self._exc as e:
            raise _error(e, f"list pods of {namespace}/{job}") from None

    def service_exists(self, namespace: str, name: str) -> bool:
        try:
            self.core.read_namespaced_service(name, namespace, _preload_content=False)
            return True
        except self._exc as e:
            if e.status == 404:
                return False
            raise _error(e, f"get service {namespace}/{name}") from None

    def secret_value(self, namespace: str, name: str, key: str) -> str:
        try:
            secret = self._json(self.core.read_namespaced_secret(name, namespace, _preload_content=False))
        except self._exc as e:
            raise _error(e, f"read secret {namespace}/{name}") from None
        data = secret.get("data") or {}
        if key not in data:
            raise ApiError(404, f"secret {namespace}/{name} has no key {key!r}")
        return base64.b64decode(data[key]).decode()

    # ---- writes
    def create(self, manifest: Mapping[str, Any]) -> bool:
        """Create a Pod or Service; False if it already exists."""
        ns, kind = manifest["metadata"]["namespace"], manifest["kind"]
        try:
            if kind == "Pod":
                self.core.create_namespaced_pod(ns, manifest, _preload_content=False)
            elif kind == "Service":
                self.core.create_namespaced_service(ns, manifest, _preload_content=False)
            else:
                raise ValueError(f"cannot create a {kind}")
            return True
        except self._exc as e:
            if e.status == 409:
                return False
            raise _error(e, f"create {kind.lower()} {ns}/{manifest['metadata']['name']}") from None

    def delete_pod(self, namespace: str, name: str, grace_seconds: int) -> bool:
        try:
            self.core.delete_namespaced_pod(name, namespace, grace_period_seconds=grace_seconds,
                                            _preload_content=False)
            return True
        except self._exc as e:
            if e.status == 404:
                return False
            raise _error(e, f"delete pod {namespace}/{name}") from None

    def delete_service(self, namespace: str, name: str) -> bool:
        try:
            self.core.delete_namespaced_service(name, namespace, _preload_content=False)
            return True
        except self._exc as e:
            if e.status == 404:
                return False
            raise _error(e, f"delete service {namespace}/{name}") from None

    def patch_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """JSON-merge-patch the StreamJob's status subresource (None values delete keys)."""
        try:
            self.custom.patch_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, name, {"status": dict(status)}, _preload_content=False)
        except self._exc as e:
            if e.status == 404:
                return
            raise _error(e, f"patch status of streamjob {namespace}/{name}") from None
