"""ValidatingAdmissionPolicy in the sandbox: policies and bindings stored like any object, evaluated on every write.

Follows the Kubernetes page "Validating Admission Policy"
(https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/) and the
admissionregistration.k8s.io/v1 reference
(https://kubernetes.io/docs/reference/kubernetes-api/extend-resources/validating-admission-policy-v1/,
https://kubernetes.io/docs/reference/kubernetes-api/definitions/param-ref-v1-admissionregistration/):

- a binding names its policy (a binding to a missing policy is ignored); the request must match the
  policy's `matchConstraints` and the binding's `matchResources` (resource rules by group, version,
  operation, resource and subresource, scope; namespace and object selectors; excluded rules);
- with `paramKind`, the binding's `paramRef` (by name, or every object its `selector` selects) gives
  the parameter objects, and the policy is evaluated once per parameter; none found is admitted under
  `parameterNotFoundAction: Allow` and a failure otherwise;
- `matchConditions` all true, then `variables` (lazy, each evaluated at most once per evaluation),
  then `validations` in order: the first one that is false denies, worded by its `messageExpression`
  (falling back to `message`, then to "failed expression: <expression>"), with its `reason`;
- an expression that does not compile or fails is a failure: `failurePolicy: Fail` (the default)
  denies, `Ignore` skips; `validationActions` Deny refuses, Warn adds a Warning header, Audit does
  nothing here.

The expressions run on qxo's own CEL (qxo.admission.cel), the one CRD validation rules use. What
differs from a real API server is in docs/kube-sandbox.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from qxo.admission.cel import CelCompileError, compile_expression
from qxo.admission.cellib import CelError
from qxo.api.selector import LabelSelector
from qxo.sandbox.kube.errors import ApiError
from qxo.sandbox.kube.resources import Column, ResourceType

GROUP, VERSION = "admissionregistration.k8s.io", "v1"
_CODES = {"Unauthorized": 401, "Forbidden": 403, "Invalid": 422, "RequestEntityTooLarge": 413}


def resource_types() -> list[ResourceType]:
    """The two kinds the sandbox serves for admission policies (cluster-scoped, as on a real server)."""
    meta = frozenset({"apiVersion", "kind", "metadata", "spec"})
    name = Column("Name", "string", "name", json_path=".metadata.name")
    return [
        ResourceType(GROUP, VERSION, "validatingadmissionpolicies", "validatingadmissionpolicy",
                     "ValidatingAdmissionPolicy", False, status_subresource=True, tracks_generation=True,
                     columns=[name, Column("Validations", "integer", cell=lambda o: len(
                         (o.get("spec") or {}).get("validations") or []))],
                     known_fields=meta | {"status"}),
        ResourceType(GROUP, VERSION, "validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
                     "ValidatingAdmissionPolicyBinding", False, tracks_generation=True,
                     columns=[name, Column("PolicyName", json_path=".spec.policyName")], known_fields=meta),
    ]


class Denied(Exception):
    """One evaluation refused the request."""


@functools.lru_cache(maxsize=2048)
def _compiled(expression: str) -> Callable[[dict[str, Any]], Any] | CelCompileError:
    try:
        return compile_expression(expression)
    except CelCompileError as error:
        return error


def _run(expression: str, env: dict[str, Any]) -> Any:
    program = _compiled(expression)
    if isinstance(program, CelCompileError):
        raise CelError(f"compilation failed: {program}")
    return program(env)


class _Variables(dict):
    """`variables`: each computed when first read, then kept for the rest of this evaluation."""

    def __init__(self, declared: list[dict[str, Any]], env: dict[str, Any]) -> None:
        super().__init__()
        self._declared = {v.get("name", ""): v.get("expression", "") for v in declared}
        self._env = env

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __getitem__(self, name: str) -> Any:
        if not dict.__contains__(self, name):
            if name not in self._declared:
                raise KeyError(name)
            try:
                dict.__setitem__(self, name, _run(self._declared[name], self._env))
            except CelError as error:
                raise CelError(f'composited variable "{name}" fails to evaluate: {error}') from None
        return dict.__getitem__(self, name)


class Request:
    """What is being admitted, as the policies see it."""

    def __init__(self, sandbox, rtype: ResourceType, namespace: str, sub: str, obj: dict[str, Any],
                 old: dict[str, Any] | None) -> None:
        self.sandbox, self.rtype, self.namespace, self.sub = sandbox, rtype, namespace, sub
        self.obj, self.old = obj, old
        self.operation = "CREATE" if old is None else "UPDATE"
        self.name = (obj.get("metadata") or {}).get("name", "")
        self._namespace_object: dict[str, Any] | None = None

    @property
    def namespace_object(self) -> dict[str, Any] | None:
        if self._namespace_object is None and self.rtype.namespaced and self.namespace:
            namespaces = self.sandbox.registry.get("", "v1", "namespaces")
            self._namespace_object = self.sandbox.store.find(namespaces, "", self.namespace)
        return self._namespace_object

    def attributes(self) -> dict[str, Any]:
        """The `request` variable: the AdmissionRequest fields policies use."""
        rtype = self.rtype
        return {
            "operation": self.operation, "namespace": self.namespace, "name": self.name,
            "kind": {"group": rtype.group, "version": rtype.version, "kind": rtype.kind},
            "resource": {"group": rtype.group, "version": rtype.version, "resource": rtype.plural},
            "subResource": self.sub, "dryRun": False, "userInfo": {"username": "sandbox"},
        }


def check(sandbox, rtype: ResourceType, namespace: str, sub: str, obj: dict[str, Any],
          old: dict[str, Any] | None) -> list[str]:
    """Every binding's verdict on the write; raises the refusal, returns the warnings of Warn bindings."""
    bindings_type = sandbox.registry.get(GROUP, VERSION, "validatingadmissionpolicybindings")
    if rtype.group == GROUP or bindings_type is None:
        return []
    bindings = list(sandbox.store.iter(bindings_type, ""))
    if not bindings:
        return []
    policies_type = sandbox.registry.get(GROUP, VERSION, "validatingadmissionpolicies")
    request = Request(sandbox, rtype, namespace, sub, obj, old)
    if rtype.namespaced and request.namespace_object is None:
        return []  # the real server's NamespaceLifecycle plugin refuses first; here the store answers 404
    warnings: list[str] = []
    for binding in sorted(bindings, key=lambda b: b["metadata"]["name"]):
        spec = binding.get("spec") or {}
        policy = sandbox.store.find(policies_type, "", spec.get("policyName", ""))
        if policy is None or not _matches((policy.get("spec") or {}).get("matchConstraints"), request) \
                or not _matches(spec.get("matchResources"), request, constraint=False):
            continue
        try:
            _evaluate(policy, binding, request)
        except Denied as denied:
            actions = spec.get("validationActions") or []
            words = f"ValidatingAdmissionPolicy '{policy['metadata']['name']}' with binding " \
                    f"'{binding['metadata']['name']}' denied request: {denied.args[0]}"
            if "Warn" in actions:
                warnings.append(f"Validation failed for ValidatingAdmissionPolicy '{policy['metadata']['name']}' "
                                f"with binding '{binding['metadata']['name']}': {denied.args[0]}")
            if "Deny" in actions:
                raise _refusal(request, words, denied.args[1]) from None
    return warnings


def _refusal(request: Request, words: str, reason: str) -> ApiError:
    rtype = request.rtype
    qualified = f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural
    return ApiError(_CODES.get(reason, 422), f'{qualified} "{request.name}" is forbidden: {words}', reason=reason,
                    details={"name": request.name, "group": rtype.group, "kind": rtype.plural,
                             "causes": [{"message": words}]})


def _evaluate(policy: dict[str, Any], binding: dict[str, Any], request: Request) -> None:
    spec = policy.get("spec") or {}
    fail = spec.get("failurePolicy", "Fail") == "Fail"
    for params in _params(spec.get("paramKind"), (binding.get("spec") or {}).get("paramRef"), request, fail):
        env: dict[str, Any] = {
            "object": request.obj, "oldObject": request.old, "request": request.attributes(), "params": params,
            "namespaceObject": request.namespace_object,
        }
        env["variables"] = _Variables(spec.get("variables") or [], env)
        try:
            if not all(_run(c.get("expression", ""), env) is True for c in spec.get("matchConditions") or []):
                continue
        except CelError as error:
            if fail:
                raise Denied(f"failed to evaluate match conditions: {error}", "Invalid") from None
            continue
        for validation in spec.get("validations") or []:
            _validate(validation, env, fail)


def _validate(validation: dict[str, Any], env: dict[str, Any], fail: bool) -> None:
    expression = validation.get("expression", "")
    try:
        result = _run(expression, env)
    except CelError as error:
        if fail:
            raise Denied(f"expression '{expression}' resulted in error: {error}", "Invalid") from None
        return
    if result is True:
        return
    if result is not False and fail:
        raise Denied(f"expression '{expression}' resulted in error: no such overload", "Invalid")
    if result is not False:
        return
    raise Denied(_message(validation, env), validation.get("reason") or "Invalid")


def _message(validation: dict[str, Any], env: dict[str, Any]) -> str:
    fallback = validation.get("message") or f"failed expression: {validation.get('expression', '')}"
    if validation.get("messageExpression"):
        try:
            text = _run(validation["messageExpression"], env)
        except CelError:
            return fallback
        if isinstance(text, str) and text.strip() and "\n" not in text:
            return text
    return fallback


def _params(kind: dict[str, Any] | None, ref: dict[str, Any] | None, request: Request,
            fail: bool) -> Iterator[dict[str, Any] | None]:
    """The parameter objects the binding selects (one None when the policy takes none)."""
    if not kind:
        yield None
        return
    rtype = _param_type(request.sandbox, kind)
    ref = ref or {}
    found: list[dict[str, Any]] = []
    if rtype is not None:
        namespace = "" if not rtype.namespaced else (ref.get("namespace") or request.namespace)
        if ref.get("name"):
            one = request.sandbox.store.find(rtype, namespace, ref["name"])
            found = [one] if one is not None else []
        else:
            selector = LabelSelector.model_validate(ref.get("selector") or {})
            found = [o for o in request.sandbox.store.iter(rtype, namespace)
                     if selector.selects((o.get("metadata") or {}).get("labels") or {})]
    if not found:
        if rtype is not None and ref.get("parameterNotFoundAction") == "Allow":
            return
        if fail:
            raise Denied("failed to configure binding: " + (
                "no params found for policy binding with `Deny` parameterNotFoundAction" if rtype is not None
                else f"paramKind {kind.get('apiVersion')}/{kind.get('kind')} is not served"), "Invalid")
        return
    yield from sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


def _param_type(sandbox, kind: dict[str, Any]) -> ResourceType | None:
    group, _, version = (kind.get("apiVersion") or "").rpartition("/")
    return next((t for t in sandbox.registry.types.values()
                 if (t.group, t.version, t.kind) == (group, version, kind.get("kind"))), None)


def _matches(constraints: dict[str, Any] | None, request: Request, constraint: bool = True) -> bool:
    """Whether the request falls under matchConstraints (a policy's) or matchResources (a binding's)."""
    if not constraints:
        return not constraint  # a policy without constraints matches nothing; a binding without narrows nothing
    if any(_rule(rule, request) for rule in constraints.get("excludeResourceRules") or []):
        return False
    rules = constraints.get("resourceRules")
    if rules is not None and not any(_rule(rule, request) for rule in rules):
        return False
    if constraints.get("namespaceSelector") and request.rtype.namespaced:
        labels = ((request.namespace_object or {}).get("metadata") or {}).get("labels") or {}
        if not LabelSelector.model_validate(constraints["namespaceSelector"]).selects(labels):
            return False
    if constraints.get("objectSelector"):
        labels = (request.obj.get("metadata") or {}).get("labels") or {}
        if not LabelSelector.model_validate(constraints["objectSelector"]).selects(labels):
            return False
    return True


def _rule(rule: dict[str, Any], request: Request) -> bool:
    rtype = request.rtype

    def among(values: list[str] | None, value: str) -> bool:
        return bool(values) and ("*" in values or value in values)

    if not (among(rule.get("apiGroups"), rtype.group) and among(rule.get("apiVersions"), rtype.version)
            and among(rule.get("operations"), request.operation)):
        return False
    scope = rule.get("scope", "*")
    if scope != "*" and (scope == "Namespaced") != rtype.namespaced:
        return False
    resource = f"{rtype.plural}/{request.sub}" if request.sub else rtype.plural
    for entry in rule.get("resources") or []:
        plural, _, sub = entry.partition("/")
        if entry == "*" and not request.sub:
            return True
        if plural in ("*", rtype.plural) and (sub == request.sub or (sub == "*" and request.sub)):
            return True
        if entry == resource:
            return True
    return False
