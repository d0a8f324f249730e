"""The CRD: one source (the chart's copy never drifts) and a schema that keeps every status field
the operator writes (the API server silently drops fields a structural schema does not name)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dstreams_operator.manifests import driver_pod
from dstreams_operator.reconcile import RedisView

from tests.unit.operator.helpers import job, pod_view, running, step_plan

REPO = Path(__file__).resolve().parents[3]
CRD = REPO / "crds" / "streamjob.yaml"
CHART_CRD = REPO / "charts" / "dstreams" / "crds" / "streamjob.yaml"


def test_the_charts_crd_is_the_crd():
    assert CHART_CRD.read_bytes() == CRD.read_bytes(), (
        "charts/dstreams/crds/streamjob.yaml differs from crds/streamjob.yaml: "
        "cp crds/streamjob.yaml charts/dstreams/crds/")


@pytest.fixture(scope="module")
def version() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    crd = yaml.safe_load(CRD.read_text())
    assert crd["spec"]["group"] == "dstreams.io" and crd["spec"]["names"]["shortNames"] == ["sj"]
    (v,) = crd["spec"]["versions"]
    return v


def test_scale_and_status_subresources_and_columns(version):
    assert version["name"] == "v1alpha1"
    assert version["subresources"]["status"] == {}
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.executor.instances", "statusReplicasPath": ".status.executors.current",
        "labelSelectorPath": ".status.executors.selector"}
    cols = [c["name"] for c in version["additionalPrinterColumns"] if not c.get("priority")]
    assert cols == ["Phase", "Executors", "Last Batch", "Delay", "Age"]


def _unknown(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Paths in ``value`` that ``schema`` does not name (so the API server would prune them)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        out = []
        for k, v in value.items():
            if k not in props:
                out.append(f"{path}.{k}")
            elif v is not None:
                out += _unknown(v, props[k], f"{path}.{k}")
        return out
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unknown(v, schema.get("items") or {}, f"{path}[{i}]")]
    return []


def test_every_status_field_the_operator_writes_is_in_the_schema(version):
    status_schema = version["schema"]["openAPIV3Schema"]["properties"]["status"]
    j = job(restartPolicy={"backoffSeconds": 5})
    pods = running(j)
    first = step_plan(j, pods, {})
    progress = {"state": "running", "lastBatchTime": "2026-01-01T12:00:05Z", "processingDelayMs": 1,
                "schedulingDelayMs": 2, "totalDelayMs": 3, "batchesCompleted": 4, "updatedAt": "2026-01-01T12:00:05Z"}
    failed = step_plan(j, [pod_view(driver_pod(j), phase="Failed", exit_code=1), *pods[1:]], first.status,
                       redis=RedisView(True, None, progress))
    unreachable = step_plan(j, [], {}, redis=RedisView(False, "cannot reach Redis"))
    for plan in (first, failed, unreachable):
        assert _unknown(plan.status, status_schema, "status") == []
    assert set(failed.status["driver"]) >= {"restarts", "restartAt", "lastTermination", "stopping"}
