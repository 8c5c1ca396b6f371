#!/usr/bin/env bash
# Checks ecs-bridge against a real AWS account: the ECS conformance scenarios (tests/conformance), then the
# operator's end-to-end scenarios that need no emulator (EcsCluster, TaskDefinition) against a local kube-apiserver.
# Uses the standard AWS credentials and Region. Everything created is named ecsb-conf-<run>-* or lives in an
# e2e namespace's objects, is tagged, and is deleted at the end of each scenario (also after a failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${AWS_REGION:?set AWS_REGION (and credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)}"
: "${ECSB_CONFORMANCE_EXPRESS_EXECUTION_ROLE:?set it to a task execution role ARN (AmazonECSTaskExecutionRolePolicy) for the Express Mode scenarios}"
: "${ECSB_CONFORMANCE_EXPRESS_INFRASTRUCTURE_ROLE:?set it to an infrastructure role ARN (AmazonECSInfrastructureRoleforExpressGatewayServices) for the Express Mode scenarios}"
: "${ECSB_CONFORMANCE_GATEWAY_INFRASTRUCTURE_ROLE:?set it to an infrastructure role ARN a gateway can assume to manage load balancers, for the gateway scenarios}"
: "${ECSB_CONFORMANCE_MI_INFRASTRUCTURE_ROLE:?set it to an ECS Managed Instances infrastructure role ARN for the Managed Daemons scenarios}"
: "${ECSB_CONFORMANCE_MI_INSTANCE_PROFILE:?set it to an EC2 instance profile ARN for the Managed Daemons scenarios}"
: "${ECSB_CONFORMANCE_MI_SUBNET:?set it to a subnet ID for the Managed Daemons scenarios}"
cat <<MSG
ecs-bridge real-account check in $AWS_REGION:
  - conformance: ECS clusters, task definitions (EC2, 128 MiB busybox) and services with 0 tasks, named
    ecsb-conf-<run>-*, tagged ecsbridge.dev/conformance-run=<run>; deleted after each scenario
  - conformance, Express Mode: two Express services (nginx, one task each, with the load balancer, target
    groups and security groups ECS makes for them) for a few minutes each; they cost while they run
  - conformance, gateways: two gateways (no load balancer: no service uses them) and one cluster association,
    deleted after each scenario
  - end-to-end: clusters and task definition families named after the test, deleted by the tests
  Clusters, services and task definitions cost nothing by themselves; expect a few hundred ECS API calls.
MSG
read -r -t 10 -p "Starting in 10 s (Ctrl-C to stop)... " _ || true
echo

bash tests/control-plane/up.sh
trap 'bash tests/control-plane/down.sh' EXIT
# The local control plane's env file points ECS at moto with dummy credentials: keep the caller's own.
saved=$(export -p | grep -E 'declare -x (AWS_[A-Z_]+)=' || true)
source target/control-plane/env
unset AWS_ENDPOINT_URL_ECS AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
eval "$saved"

ECSB_CONFORMANCE_AWS=1 cargo test --test conformance -- --test-threads 2
ECSB_E2E_AWS=1 cargo test --test e2e -- cluster:: task_definition:: --test-threads 2
