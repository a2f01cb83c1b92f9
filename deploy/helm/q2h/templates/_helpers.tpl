{{/*
Names, labels and shared fragments of the q2h chart.
*/}}

{{- define "q2h.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Release-wide name; a target's resources are named "<fullname>-<target>".
*/}}
{{- define "q2h.fullname" -}}
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

{{- define "q2h.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. Call with the root context.
*/}}
{{- define "q2h.labels" -}}
helm.sh/chart: {{ include "q2h.chart" . }}
{{ include "q2h.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: q2h
{{- end }}

{{- define "q2h.selectorLabels" -}}
app.kubernetes.io/name: {{ include "q2h.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
A target's resources. Call with (dict "root" $ "target" $name).
*/}}
{{- define "q2h.targetName" -}}
{{- printf "%s-%s" (include "q2h.fullname" .root) .target | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "q2h.targetLabels" -}}
{{ include "q2h.labels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end }}

{{- define "q2h.targetSelectorLabels" -}}
{{ include "q2h.selectorLabels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end }}

{{- define "q2h.configMapName" -}}
{{- printf "%s-config" (include "q2h.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "q2h.secretName" -}}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else }}
{{- printf "%s-secret" (include "q2h.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "q2h.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "q2h.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "q2h.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Base URL of a target's Service inside the cluster.
*/}}
{{- define "q2h.targetUrl" -}}
{{- printf "http://%s:8080" (include "q2h.targetName" .) }}
{{- end }}

{{/*
Q2H_POSTGRES_URL and Q2H_CLICKHOUSE_URL, with the credentials percent-encoded (urlquery writes a
space as "+", which URL user-info decoding would keep: it becomes %20).
*/}}
{{- define "q2h.urlEncode" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{- define "q2h.postgresUrl" -}}
{{- $pg := .Values.postgres }}
{{- $auth := include "q2h.urlEncode" $pg.user }}
{{- if $pg.password }}{{ $auth = printf "%s:%s" $auth (include "q2h.urlEncode" $pg.password) }}{{ end }}
{{- $url := printf "postgres://%s@%s:%v/%s" $auth $pg.host $pg.port $pg.database }}
{{- if $pg.sslmode }}{{ $url = printf "%s?sslmode=%s" $url $pg.sslmode }}{{ end }}
{{- $url }}
{{- end }}

{{- define "q2h.clickhouseUrl" -}}
{{- $ch := .Values.clickhouse }}
{{- $endpoint := urlParse $ch.endpoint }}
{{- $auth := include "q2h.urlEncode" $ch.user }}
{{- if $ch.password }}{{ $auth = printf "%s:%s" $auth (include "q2h.urlEncode" $ch.password) }}{{ end }}
{{- printf "%s://%s@%s/%s" $endpoint.scheme $auth $endpoint.host $ch.database }}
{{- end }}
