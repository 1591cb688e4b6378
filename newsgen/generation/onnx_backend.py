"""ONNX Runtime backend: runs an export of ``newsgen model export`` behind the :class:`ModelRunner` step.

Same forward and KV layout as the PyTorch backend (:class:`~newsgen.generation.torch_backend.CascadeRunner`
keeps the cache). The cache tensors live on the session's device and are bound to the session by
pointer (IOBinding) on CPU as on CUDA, so a step moves only ids, mask and last-position logits.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from newsgen.generation.decode import DecodingGenerator
from newsgen.generation.export import FORMAT, GRAPH, MANIFEST, MODEL_FILE, io_names, sha256_file
from newsgen.generation.loading import eos_token_id, load_config, load_tokenizer, prompt_format, sampling_defaults
from newsgen.generation.torch_backend import BackendUnavailable, CascadeRunner, KVCache

log = logging.getLogger(__name__)

_ELEMENT = {torch.float32: np.float32, torch.float16: np.float16, torch.int64: np.int64}


class OnnxRunner(CascadeRunner):
    """The forward in an ONNX Runtime session (CPU or CUDA execution provider)."""

    backend = "onnx"

    def __init__(self, session: Any, n_layer: int, n_head: int, head_dim: int, vocab_size: int,
                 device: str = "cpu", precision: str = "fp32"):
        kv_type = next(i.type for i in session.get_inputs() if i.name == "past.0.key")
        super().__init__(n_layer, n_head, head_dim, torch.float16 if "float16" in kv_type else torch.float32,
                         device)
        self.session = session
        self.providers = session.get_providers()  # what the session really got, not what was asked for
        self.precision = precision
        self.vocab_size = vocab_size
        self.names_in, self.names_out = io_names(n_layer)
        self.all_logits = any(i.name == LOGIT_POSITIONS for i in session.get_inputs())

    def _bind(self, binding: Any, name: str, tensor: torch.Tensor, output: bool = False) -> None:
        device, index, element = self.device.type, self.device.index or 0, _ELEMENT[tensor.dtype]
        if tensor.numel() == 0 and not output:  # an empty cache has no buffer to point at
            from onnxruntime import OrtValue

            empty = OrtValue.ortvalue_from_shape_and_type(tuple(tensor.shape), element, device, index)
            return binding.bind_ortvalue_input(name, empty)
        bind = binding.bind_output if output else binding.bind_input
        bind(name, device, index, element, tuple(tensor.shape), tensor.data_ptr())

    def _run(self, input_ids, mask, positions, past: KVCache, all_logits=False):
        B, T = input_ids.shape
        binding = self.session.io_binding()
        inputs = [input_ids, mask, positions, *(t.contiguous() for t in past.prefix), *past.rows]
        for name, tensor in zip(self.names_in, inputs):
            self._bind(binding, name, tensor)
        shape: tuple[int, ...] = (B, self.vocab_size)
        if self.all_logits:                                 # the session's graph picks the positions
            picked = torch.arange(T, device=self.device) if all_logits else torch.tensor([-1], device=self.device)
            self._bind(binding, LOGIT_POSITIONS, picked)
            shape = (B, len(picked), self.vocab_size)
        logits = torch.empty(*shape, dtype=self.dtype, device=self.device)
        new = [self._zeros(self.n_head, B, T, self.head_dim) for _ in range(2 * self.n_layer)]
        for name, tensor in zip(self.names_out, [logits, *new]):
            self._bind(binding, name, tensor, output=True)
        self.session.run_with_iobinding(binding)
        return (logits if all_logits or not self.all_logits else logits[:, 0]), new


def read_manifest(export_dir: Path, verify: bool = True) -> dict[str, Any]:
    """Load ``manifest.json`` of an export; with ``verify``, check every file's SHA-256."""
    export_dir = Path(export_dir)
    path = export_dir / MANIFEST
    if not path.is_file():
        raise BackendUnavailable(f"no ONNX export at {export_dir} (no {MANIFEST}); run `newsgen model export`",
                                 why="missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackendUnavailable(f"unreadable {path}: {exc}", why="manifest") from exc
    if (manifest.get("format"), manifest.get("graph")) != (FORMAT, GRAPH):
        raise BackendUnavailable(f"{path} describes {manifest.get('format')}/{manifest.get('graph')}, this "
                                 f"newsgen runs {FORMAT}/{GRAPH}: export the model again", why="manifest")
    if verify:
        for name, digest in manifest.get("files", {}).items():
            file = export_dir / name
            if not file.is_file() or sha256_file(file) != digest:
                raise BackendUnavailable(f"{file} is missing or differs from its manifest hash (corrupted?)",
                                         why="hash")
    return manifest


#: graph input added at load time: which new positions get logits (K,) int64; [-1] is the exported behaviour
LOGIT_POSITIONS = "logit_positions"


def with_logit_positions(model_path: Path) -> Any:
    """The exported graph with its last-position pick made an input (:data:`LOGIT_POSITIONS`), so one forward
    can return the logits of several new positions (draft verification); ``logits`` becomes (B,K,V).

    The export (immutable, hashed) stays as it is: the edited graph goes to ORT as bytes, or, for a model
    with external weights, into a temporary directory next to a link to them. None when the graph does not
    end in the expected ``Gather(axis=1)`` of the hidden states (then only last-position logits)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(model_path), load_external_data=False)
    graph = model.graph
    producer = {o: n for n in graph.node for o in n.output}
    name, gather = "logits", None
    for _ in range(8):                     # logits <- MatMul (or its int8 form) <- LayerNorm <- Gather(x, -1)
        node = producer.get(name)
        if node is None:
            break
        if node.op_type == "Gather":
            gather = node
            break
        name = node.input[0]
    if gather is None or not any(a.name == "axis" and a.i == 1 for a in gather.attribute):
        return None
    gather.input[1] = LOGIT_POSITIONS
    graph.input.append(helper.make_tensor_value_info(LOGIT_POSITIONS, TensorProto.INT64, ["positions"]))
    out = next(o for o in graph.output if o.name == "logits")
    vocab = out.type.tensor_type.shape.dim[-1].dim_value
    out.CopyFrom(helper.make_tensor_value_info("logits", out.type.tensor_type.elem_type, ["batch", "positions", vocab]))
    del graph.value_info[:]                # shapes below the Gather changed rank: let ORT infer them again
    data = Path(str(model_path) + ".data")
    if not data.exists():
        return model.SerializeToString()
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="newsgen-onnx-"))
    (tmp / data.name).symlink_to(data.resolve())
    onnx.save(model, str(tmp / Path(model_path).name))
    return str(tmp / Path(model_path).name)


def create_session(model_path: Path, device: str = "cpu", threads: int = 0, profile: str | None = None) -> Any:
    """An ``InferenceSession`` on ``device``; refuses a CUDA request that ORT would quietly run on CPU.
    The graph is :func:`with_logit_positions`'s when that applies, else the export's as it is. ``profile``:
    a file prefix for ORT's per-node profile (``session.end_profiling()`` writes it)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads  # 0 = one per physical core
    opts.log_severity_level = 3
    if profile:
        opts.enable_profiling = True
        opts.profile_file_prefix = profile
    providers: list[Any] = ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise BackendUnavailable("device 'cuda' requested but this onnxruntime has no "
                                     "CUDAExecutionProvider (install onnxruntime-gpu)", why="no_cuda")
        if not torch.cuda.is_available():
            raise BackendUnavailable("device 'cuda' requested but torch sees no CUDA GPU", why="no_cuda")
        # ORT kernels on torch's stream: the cache writes torch makes are ordered before ORT's reads
        stream = str(torch.cuda.current_stream().cuda_stream)
        providers.insert(0, ("CUDAExecutionProvider", {"device_id": 0, "user_compute_stream": stream}))
    try:
        try:
            graph = with_logit_positions(model_path)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is reported by the session below
            log.warning("cannot add logit positions to %s (%s): last-position logits only", model_path, exc)
            graph = None
        session = ort.InferenceSession(graph or str(model_path), sess_options=opts, providers=providers)
    except Exception as exc:  # ORT raises its own pybind types (InvalidProtobuf, Fail, NoSuchFile, ...)
        raise BackendUnavailable(f"ONNX Runtime cannot load {model_path}: {exc}", why="session") from exc
    if device == "cuda" and session.get_providers()[0] != "CUDAExecutionProvider":
        raise BackendUnavailable(f"ONNX Runtime gave providers {session.get_providers()} instead of CUDA",
                                 why="no_cuda")
    return session


def load_onnx_generator(export_dir: Path, device: str = "cpu", threads: int = 0, verify: bool = True,
                        reuse_prefix: bool = True) -> DecodingGenerator:
    """Load an export directory into a :class:`DecodingGenerator` backed by :class:`OnnxRunner`."""
    export_dir = Path(export_dir)
    manifest = read_manifest(export_dir, verify=verify)
    precision = manifest["precision"]
    if device == "cpu" and precision == "fp16":
        raise BackendUnavailable(f"{export_dir} is an fp16 export (for CUDA); use fp32 or int8 on CPU",
                                 why="precision")
    if device == "cuda" and precision == "int8":
        raise BackendUnavailable(f"{export_dir} is an int8 export (CPU only); use fp16 on CUDA",
                                 why="precision")
    config = load_config(str(export_dir))
    tokenizer = load_tokenizer(str(export_dir))
    session = create_session(export_dir / MODEL_FILE, device=device, threads=threads)
    runner = OnnxRunner(session, config.n_layer, config.n_head, config.n_embd // config.n_head,
                        manifest["vocab_size"], device=device, precision=precision)
    log.info("ONNX Runtime session for %s (%s) on %s", export_dir, precision, ", ".join(runner.providers))
    return DecodingGenerator(runner, tokenizer, model_id=manifest["source"],
                             eos_token_id=eos_token_id(config, tokenizer), max_context=config.n_positions,
                             reuse_prefix=reuse_prefix, sampling_defaults=sampling_defaults(export_dir),
                             prompt_format=prompt_format(export_dir))
