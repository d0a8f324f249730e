"""The dstreams Kubernetes operator: reconciles ``StreamJob`` resources (group ``dstreams.io``).

Layers, each importing only the ones below it::

    handlers      kopf glue (the only module importing kopf)      -> kube, progress, reconcile
    kube          the only module touching the Kubernetes API
    progress      the job's Redis: reachability and the driver's progress record
    reconcile     pure decisions: (spec, observed) -> actions + status
    manifests     pure builders of the driver/executor pods and the UI Service
    spec          parsing and checking the StreamJob spec

Run it with ``python -m dstreams_operator`` (or ``kopf run -m dstreams_operator.handlers``).
Importing this package does not import kopf or the Kubernetes client.
"""
from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
