{{/* Names, labels, the image reference and the namespace lists every template shares. */}}

{{- define "qxo.fullname" -}}
{{- .Values.fullnameOverride | default "qxo-operator" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels of manifests/ plus Helm's own. */}}
{{- define "qxo.labels" -}}
app.kubernetes.io/name: qxo
app.kubernetes.io/part-of: qxo
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The Deployment's selector: the same as manifests/, so a kustomize install can be taken over. */}}
{{- define "qxo.selectorLabels" -}}
app.kubernetes.io/name: qxo
app.kubernetes.io/component: operator
{{- end -}}

{{- define "qxo.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The tenant namespaces as a JSON list of {namespace, salesforceLinks}, "" resolved to the release namespace. */}}
{{- define "qxo.tenants" -}}
{{- $tenants := list -}}
{{- $seen := list -}}
{{- range .Values.tenants -}}
{{- $namespace := .namespace | default $.Release.Namespace -}}
{{- if has $namespace $seen -}}
{{- fail (printf "tenants: namespace %q is listed twice" $namespace) -}}
{{- end -}}
{{- $seen = append $seen $namespace -}}
{{- $tenants = append $tenants (dict "namespace" $namespace "salesforceLinks" (.salesforceLinks | default false)) -}}
{{- end -}}
{{- toJson $tenants -}}
{{- end -}}

{{/* The watched namespaces (namespaced mode), checked against the tenants: a JSON list. */}}
{{- define "qxo.watchedNamespaces" -}}
{{- if .Values.watch.allNamespaces -}}
[]
{{- else -}}
{{- if not .Values.watch.namespaces -}}
{{- fail "watch.namespaces: list at least one namespace when watch.allNamespaces is false" -}}
{{- end -}}
{{- $tenantNamespaces := list -}}
{{- range (include "qxo.tenants" . | fromJsonArray) -}}
{{- $tenantNamespaces = append $tenantNamespaces .namespace -}}
{{- end -}}
{{- range .Values.watch.namespaces -}}
{{- if not (has . $tenantNamespaces) -}}
{{- fail (printf "watch.namespaces: %q has no entry in tenants; in namespaced mode the operator watches the Secrets of every namespace it watches" .) -}}
{{- end -}}
{{- end -}}
{{- toJson (uniq .Values.watch.namespaces) -}}
{{- end -}}
{{- end -}}

{{/* The subject every binding grants to. */}}
{{- define "qxo.subject" -}}
- kind: ServiceAccount
  name: {{ include "qxo.fullname" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}

{{- /* ipBlocks for `cidrs`; "any address" (0.0.0.0/0, ::/0) without the `never` CIDRs of its family.
An except must lie inside its cidr, and a narrower cidr is the admin's own choice: left as it is. */ -}}
{{- define "qxo.ipBlocks" -}}
{{- $never := .never -}}
{{- range .cidrs }}
{{- $v6 := contains ":" . }}
{{- $except := list }}
{{- if or (eq . "0.0.0.0/0") (eq . "::/0") }}
{{- range $never }}{{ if eq (contains ":" .) $v6 }}{{ $except = append $except . }}{{ end }}{{ end }}
{{- end }}
- ipBlock:
    cidr: {{ . }}
    {{- with $except }}
    except:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}
{{- end -}}
