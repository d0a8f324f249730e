"""Parsing the StreamJob spec: defaults, durations, errors that name the field, the version hash."""
from __future__ import annotations

import pytest

from dstreams_operator.spec import SpecError, parse_duration, parse_job, redact_url

from tests.unit.operator.helpers import body, job


def test_defaults_match_the_crd():
    j = job()
    assert (j.app_id, j.batch_interval, j.image_pull_policy) == ("demo.wc", 1.0, "IfNotPresent")
    assert (j.executor.instances, j.executor.cores, j.driver.ui_port, j.driver.grace_seconds) == (2, 1, 4040, 60)
    assert (j.restart.type, j.restart.backoff_seconds, j.restart.max_backoff_seconds, j.restart.limit) == (
        "OnFailure", 10, 300, 5)
    assert j.application.path == "/app/app.py" and not j.suspend and j.checkpoint is None


@pytest.mark.parametrize("text,seconds", [("2s", 2.0), ("500ms", 0.5), ("1m", 60.0), ("1.5s", 1.5)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["2", "0s", "-1s", "2h", "fast", ""])
def test_bad_batch_interval_names_the_field(text):
    with pytest.raises(SpecError, match="spec.batchInterval"):
        parse_job(body(batchInterval=text or " "))


@pytest.mark.parametrize("spec,field", [
    ({"image": ""}, "spec.image"),
    ({"executor": {"instances": -1}}, "spec.executor.instances"),
    ({"executor": {"cores": 0}}, "spec.executor.cores"),
    ({"redis": {"url": "http://redis:6379"}}, "spec.redis.url"),
    ({"application": {"module": "app", "file": "/x.py"}}, "exactly one"),
    ({"application": {}}, "exactly one"),
    ({"application": {"module": "not a module"}}, "spec.application.module"),
    ({"application": {"file": "relative.py"}}, "spec.application.file"),
    ({"application": {"module": "m", "env": [{"value": "x"}]}}, r"spec.application.env\[0\]"),
    ({"restartPolicy": {"type": "Sometimes"}}, "spec.restartPolicy.type"),
    ({"checkpoint": {"url": "/local/path"}}, "spec.checkpoint.url"),
    ({"suspend": "yes"}, "spec.suspend"),
])
def test_errors_name_the_field(spec, field):
    with pytest.raises(SpecError, match=field):
        parse_job(body(**spec))


def test_name_must_fit_the_pod_and_service_names():
    with pytest.raises(SpecError, match="metadata.name"):
        parse_job(body(name="a" * 41))
    with pytest.raises(SpecError, match="metadata.name"):
        parse_job(body(name="with.dots"))


def test_full_spec():
    j = job(application={"module": "apps.wc", "args": ["--x", "1"], "env": [{"name": "A", "value": "b"}]},
            redis={"url": "redis://r:6379/1", "passwordSecret": {"name": "redis"}},
            checkpoint={"url": "s3://b/cp", "s3": {"endpoint": "http://minio:9000",
                                                      "credentialsSecret": {"name": "s3"}}},
            restartPolicy={"type": "Always", "backoffSeconds": 1, "limit": 3})
    assert j.application.module == "apps.wc" and j.application.path is None
    assert j.redis_password.name == "redis" and j.redis_password.key == "password"
    assert j.checkpoint.credentials == {"name": "s3", "accessKeyIdKey": "AWS_ACCESS_KEY_ID",
                                        "secretAccessKeyKey": "AWS_SECRET_ACCESS_KEY"}
    assert [j.restart.backoff(n) for n in (1, 2, 3)] == [1, 2, 4]


def test_version_changes_with_what_shapes_the_pods_only():
    base = job().version
    assert job(executor={"instances": 7}).version == base
    assert job(suspend=True).version == base
    assert job(restartPolicy={"type": "Never"}).version == base
    assert job(image="dstreams-runtime:2").version != base
    assert job(application={"configMap": {"name": "wc-app"}, "args": ["x"]}).version != base
    assert job(executor={"cores": 2}).version != base


def test_redact_url():
    assert redact_url("redis://user:pw@h:1/0") == "redis://user:***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"
