# The loopback Kubernetes test world (included by the root Makefile). See tests/cluster/up.sh.
CLUSTER_SCRIPTS := tests/cluster
CLUSTER_PYTHON = $(if $(wildcard $(PY)),$(abspath $(PY)),python3)

.PHONY: cluster-tools cluster-up cluster-down images e2e e2e-kind

cluster-tools: ## build (once; cached in ~/.cache/dstreams/tools) etcd, the Kubernetes control plane, kubectl, helm, MinIO
	bash $(CLUSTER_SCRIPTS)/build-tools.sh all

cluster-up: ## start the loopback Kubernetes test world (control plane, podman node agent, Redis, MinIO, images)
	PYTHON=$(CLUSTER_PYTHON) bash $(CLUSTER_SCRIPTS)/up.sh

cluster-down: ## stop the loopback test world (cluster-down PURGE=1 also deletes its state dir)
	bash $(CLUSTER_SCRIPTS)/down.sh $(if $(PURGE),--purge)

images: ## build the runtime and operator images with podman on a local Debian base (no registry needed)
	bash $(CLUSTER_SCRIPTS)/build-images.sh all

e2e: venv ## run the e2e tests only (uses a `make cluster-up` world if one is up, else starts its own)
	$(PY) -m pytest -q tests/e2e $(PYTEST_ARGS)

e2e-kind: venv ## e2e tests on a kind cluster (needs docker): create it, build+load images, install the chart, test
	PYTHON=$(abspath $(PY)) bash $(CLUSTER_SCRIPTS)/e2e-kind.sh
