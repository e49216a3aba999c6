"""The catalog: what this worker really offers (built from the same registries that serve the requests)."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from google.protobuf import struct_pb2

from dspy_service.evaluation import MAX_DEVSET, MAX_OUTCOMES, MAX_TRAINSET
from dspy_service.metrics import METRICS
from dspy_service.modules import MODULES, ParamDef
from dspy_service.named_programs import NAMED_PROGRAMS
from dspy_service.optimizers import OPTIMIZERS
from dspy_service.programs import MAX_INPUT_BYTES
from dspy_service.signatures import FIELD_TYPES, MAX_FIELDS, MAX_SIGNATURE_BYTES, FieldDef
from dspy_service.tools import BUILTIN_TOOLS
from dspysuite.dspy.v1 import dspy_service_pb2 as pb


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _value(value: Any) -> struct_pb2.Value:
    holder = struct_pb2.Struct()
    holder.update({"v": value})
    return holder.fields["v"]


def _parameter(p: ParamDef) -> pb.ParameterInfo:
    info = pb.ParameterInfo(name=p.name, type=p.type, description=p.description, allowed_values=list(p.allowed))
    if p.default is not None:
        info.default_value.CopyFrom(_value(p.default))
    if p.minimum is not None:
        info.minimum = float(p.minimum)
    if p.maximum is not None:
        info.maximum = float(p.maximum)
    return info


def _field(f: FieldDef) -> pb.FieldSpec:
    return pb.FieldSpec(name=f.name, type=f.type, description=f.description, enum_values=list(f.enum_values))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def build_catalog(models: tuple[str, ...], default_model: str) -> pb.Catalog:
    catalog = pb.Catalog(
        field_types=list(FIELD_TYPES),
        limits=pb.CatalogLimits(
            max_trainset=MAX_TRAINSET,
            max_devset=MAX_DEVSET,
            max_outcomes=MAX_OUTCOMES,
            max_signature_bytes=MAX_SIGNATURE_BYTES,
            max_fields=MAX_FIELDS,
            max_input_bytes=MAX_INPUT_BYTES,
        ),
        service_version=_version("dspy-service"),
        dspy_version=_version("dspy"),
    )
    for m in MODULES.values():
        catalog.modules.append(
            pb.ModuleInfo(
                name=m.name,
                description=m.description,
                options=[_parameter(p) for p in m.options],
                added_outputs=list(m.added_outputs),
            )
        )
    for o in OPTIMIZERS.values():
        catalog.optimizers.append(
            pb.OptimizerInfo(
                name=o.name,
                description=o.description,
                parameters=[_parameter(p) for p in o.params],
                available=o.available,
            )
        )
    for metric in METRICS.values():
        catalog.metrics.append(pb.MetricInfo(name=metric.name, description=metric.description, uses_lm=metric.uses_lm))
    for program in NAMED_PROGRAMS.values():
        data = program.dataset()
        catalog.programs.append(
            pb.NamedProgramInfo(
                name=program.name,
                description=program.description,
                module=program.module,
                inputs=[_field(f) for f in program.inputs()],
                outputs=[_field(f) for f in program.outputs()],
                instructions=program.signature.instructions,
                default_metric=program.default_metric,
                example_trainset=[_struct(row) for row in data["train"]],
                example_devset=[_struct(row) for row in data["dev"]],
                tools=list(program.tools),
            )
        )
    for tool in BUILTIN_TOOLS.values():
        catalog.tools.append(
            pb.ToolInfo(name=tool.name, description=tool.description, args_schema=_struct(tool.args_schema))
        )
    for name in models:
        catalog.models.append(
            pb.ModelInfo(name=name, is_default=name == default_model, local=name.startswith("local/"))
        )
    return catalog
