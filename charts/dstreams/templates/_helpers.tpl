{{/* Chart name, at most 63 characters. */}}
{{- define "dstreams.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart> unless the release name already contains the chart name; 63 characters. */}}
{{- define "dstreams.fullname" -}}
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

{{/* A component's name: <fullname>-<suffix>, 63 characters. */}}
{{- define "dstreams.component" -}}
{{- printf "%s-%s" (include "dstreams.fullname" .root | trunc (int (sub 62 (len .suffix))) | trimSuffix "-") .suffix }}
{{- end }}

{{- define "dstreams.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "dstreams.labels" -}}
helm.sh/chart: {{ include "dstreams.chart" . }}
{{ include "dstreams.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of the operator (never change them: Deployment selectors are immutable). */}}
{{- define "dstreams.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dstreams.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dstreams.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dstreams.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "dstreams.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The rules of the operator in a watched namespace (or cluster-wide). */}}
{{- define "dstreams.namespacedRules" -}}
# StreamJobs: watch them, hold the finalizer and kopf's annotations, write the status
- apiGroups: [dstreams.io]
  resources: [streamjobs]
  verbs: [get, list, watch, patch]
- apiGroups: [dstreams.io]
  resources: [streamjobs/status]
  verbs: [get, patch]
# the driver and executor pods and the driver UI Service the operator owns
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, delete]
- apiGroups: [""]
  resources: [services]
  verbs: [get, create, delete]
# the Redis password named by spec.redis.passwordSecret (read only, never listed)
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
# Events about what it does
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}
