{{/* The chart name, overridable with nameOverride. */}}
{{- define "ecs-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified app name, overridable with fullnameOverride; the release name alone when it already
contains the chart name. Truncated to 63 characters (the DNS label limit).
*/}}
{{- define "ecs-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "ecs-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels of every object. */}}
{{- define "ecs-bridge.labels" -}}
helm.sh/chart: {{ include "ecs-bridge.chart" . }}
{{ include "ecs-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: ecs-bridge
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels the Deployment selects its pods by. */}}
{{- define "ecs-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The name of the service account. */}}
{{- define "ecs-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ecs-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: by digest when image.digest is set, else by tag (default: the chart's appVersion). */}}
{{- define "ecs-bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The namespaced kinds users write (the resources of group ecsbridge.dev), for RBAC. */}}
{{- define "ecs-bridge.userKinds" -}}
["ecsclusters", "taskdefinitions", "ecsservices", "ecstasks", "ecscrontasks", "capacityproviders", "ecsexpressservices", "ecsgateways", "daemontaskdefinitions", "ecsdaemons"]
{{- end }}

{{/* ECSB_AWS_RATE_LIMITS: category=burst/refill,... in the order of the categories. */}}
{{- define "ecs-bridge.rateLimits" -}}
{{- $limits := list }}
{{- range $category, $size := .Values.aws.rateLimits }}
{{- $limits = append $limits (printf "%s=%s" $category $size) }}
{{- end }}
{{- join "," $limits }}
{{- end }}

{{/* The watched namespaces; fails when rbac.scope=namespaces has none. */}}
{{- define "ecs-bridge.watchNamespaces" -}}
{{- if and (eq .Values.rbac.scope "namespaces") (empty .Values.watchNamespaces) }}
{{- fail "rbac.scope=namespaces needs watchNamespaces: the namespaces the operator may manage" }}
{{- end }}
{{- join "," (uniq .Values.watchNamespaces) }}
{{- end }}

{{/*
The rules the operator needs on the namespaces it manages: its three kinds (never create or delete: it only
updates them, for finalizers and the scale subresource), their status, and events (core and events.k8s.io).
*/}}
{{- define "ecs-bridge.managerRules" -}}
- apiGroups: ["ecsbridge.dev"]
  resources: {{ include "ecs-bridge.userKinds" . }}
  verbs: ["get", "list", "watch", "patch", "update"]
# An EcsCronTask creates and deletes its runs; an EcsTask deletes itself once ttlSecondsAfterFinished has passed.
- apiGroups: ["ecsbridge.dev"]
  resources: ["ecstasks"]
  verbs: ["create", "delete"]
- apiGroups: ["ecsbridge.dev"]
  resources: ["ecsclusters/status", "taskdefinitions/status", "ecsservices/status", "ecstasks/status", "ecscrontasks/status", "capacityproviders/status", "ecsexpressservices/status", "ecsgateways/status", "daemontaskdefinitions/status", "ecsdaemons/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# spec.exportTo writes an object's AWS identities into a ConfigMap of its namespace (and deletes one it emptied).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "create", "patch", "delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# spec.kubernetesService of an EcsService: the Service and EndpointSlices the operator owns (ownerReferences with
# blockOwnerDeletion need update on the owner's finalizers where OwnerReferencesPermissionEnforcement is on).
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "create", "patch", "delete"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["get", "list", "create", "patch", "delete"]
- apiGroups: ["ecsbridge.dev"]
  resources: ["ecsservices/finalizers"]
  verbs: ["update"]
{{- if .Values.shard.name }}
# A shard follows the namespaces its selector selects and the other shards' records on their Leases.
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["list", "watch"]
{{- end }}
{{- end }}

{{/* Whether the release needs its own Lease: for leader election, or to hold the shard's record. */}}
{{- define "ecs-bridge.lease" -}}
{{- if or .Values.leaderElection.enabled .Values.shard.name }}true{{ end }}
{{- end }}
