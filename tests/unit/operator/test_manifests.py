"""The pods and Service a StreamJob owns, as built for the API."""
from __future__ import annotations

from dstreams_operator.manifests import (LABEL_JOB, LABEL_ROLE, LABEL_VERSION, driver_pod, executor_pod,
                                         executor_selector, pod_env, ui_service)

from tests.unit.operator.helpers import job


def env_of(pod: dict) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in pod["spec"]["containers"][0]["env"]}


def test_driver_from_a_configmap():
    j = job(application={"configMap": {"name": "wc-app", "key": "wc.py"}, "args": ["in", "out"]})
    pod = driver_pod(j)
    c = pod["spec"]["containers"][0]
    assert pod["metadata"]["name"] == "wc-driver"
    assert c["command"] == ["dstreams", "driver", "/app/wc.py", "--master", "redis://redis:6379/0",
                            "--app-id", "demo.wc", "--", "in", "out"]
    assert c["volumeMounts"] == [{"name": "app", "mountPath": "/app", "readOnly": True}]
    assert pod["spec"]["volumes"][0]["configMap"] == {"name": "wc-app", "items": [{"key": "wc.py", "path": "wc.py"}]}
    assert pod["spec"]["restartPolicy"] == "Never" and pod["spec"]["terminationGracePeriodSeconds"] == 60
    assert c["ports"] == [{"name": "ui", "containerPort": 4040, "protocol": "TCP"}]


def test_driver_from_a_module_or_a_file_in_the_image():
    assert driver_pod(job(application={"module": "apps.wc"}))["spec"]["containers"][0]["command"][:4] == [
        "dstreams", "driver", "-m", "apps.wc"]
    pod = driver_pod(job(application={"file": "/opt/app/wc.py"}))
    assert pod["spec"]["containers"][0]["command"][2] == "/opt/app/wc.py" and "volumes" not in pod["spec"]


def test_owner_labels_and_pod_options():
    j = job(podLabels={"team": "a"}, podAnnotations={"x": "y"}, serviceAccountName="runner",
            nodeSelector={"disk": "ssd"}, tolerations=[{"key": "k", "operator": "Exists"}],
            imagePullPolicy="Never", executor={"instances": 2, "resources": {"limits": {"cpu": "1"}}})
    for pod in (driver_pod(j), executor_pod(j, "wc-exec-abcde")):
        meta, spec = pod["metadata"], pod["spec"]
        assert meta["ownerReferences"] == [{"apiVersion": "dstreams.io/v1alpha1", "kind": "StreamJob", "name": "wc",
                                            "uid": "uid-1", "controller": True, "blockOwnerDeletion": True}]
        assert meta["labels"]["team"] == "a" and meta["labels"][LABEL_JOB] == "wc"
        assert meta["labels"][LABEL_VERSION] == j.version and meta["annotations"] == {"x": "y"}
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "dstreams-operator"
        assert spec["serviceAccountName"] == "runner" and spec["nodeSelector"] == {"disk": "ssd"}
        assert spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
        assert spec["containers"][0]["imagePullPolicy"] == "Never"
    ex = executor_pod(j, "wc-exec-abcde")
    assert ex["metadata"]["labels"][LABEL_ROLE] == "executor"
    assert ex["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}}
    assert ex["spec"]["containers"][0]["command"] == [
        "dstreams", "executor", "--master", "redis://redis:6379/0", "--app-id", "demo.wc",
        "--executor-id", "wc-exec-abcde", "--cores", "1"]
    assert executor_selector(j) == "dstreams.io/job=wc,dstreams.io/role=executor"


def test_env_contract():
    j = job(batchInterval="500ms", redis={"url": "redis://r:6379/0", "passwordSecret": {"name": "rp", "key": "pw"}},
            checkpoint={"url": "s3://bucket/cp", "s3": {"endpoint": "http://minio:9000", "region": "eu",
                                                          "credentialsSecret": {"name": "s3"}}},
            application={"module": "m", "env": [{"name": "DSTREAMS_LOG_LEVEL", "value": "INFO"}]})
    env = env_of(driver_pod(j))
    assert env["DSTREAMS_MASTER"] == "redis://r:6379/0"
    assert env["DSTREAMS_REDIS_PASSWORD"] == {"secretKeyRef": {"name": "rp", "key": "pw"}}
    assert (env["DSTREAMS_APP_ID"], env["DSTREAMS_ROLE"]) == ("demo.wc", "driver")
    assert env["DSTREAMS_BATCH_INTERVAL"] == "0.5"
    assert env["DSTREAMS_CHECKPOINT_DIR"] == "s3://bucket/cp" and env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AWS_DEFAULT_REGION"] == "eu" and env["DSTREAMS_CONF_dstreams.ui.port"] == "4040"
    assert env["AWS_ACCESS_KEY_ID"] == {"secretKeyRef": {"name": "s3", "key": "AWS_ACCESS_KEY_ID"}}
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "s3", "key": "AWS_SECRET_ACCESS_KEY"}}
    assert env["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["DSTREAMS_LOG_LEVEL"] == "INFO"
    # the user's env comes last, so it may override ours
    assert pod_env(j, "driver")[-1] == {"name": "DSTREAMS_LOG_LEVEL", "value": "INFO"}
    ex = env_of(executor_pod(j, "wc-exec-1"))
    assert ex["DSTREAMS_ROLE"] == "executor" and ex["DSTREAMS_EXECUTOR_CORES"] == "1"
    assert "DSTREAMS_CONF_dstreams.ui.port" not in ex


def test_batch_interval_in_whole_seconds_has_no_decimal_point():
    assert env_of(driver_pod(job(batchInterval="2s")))["DSTREAMS_BATCH_INTERVAL"] == "2"


def test_ui_service():
    svc = ui_service(job(driver={"uiPort": 4050}))
    assert svc["metadata"]["name"] == "wc-ui" and svc["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    assert svc["spec"]["selector"] == {"dstreams.io/job": "wc", "dstreams.io/role": "driver"}
    assert svc["spec"]["ports"] == [{"name": "ui", "port": 4050, "targetPort": "ui", "protocol": "TCP"}]
