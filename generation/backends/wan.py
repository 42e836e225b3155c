"""Wan 2.1 video backend on diffusers: text, image, remix and extend with shared components.

Without GENERATION_MODEL_DIR the backend builds the Wan architecture at toy size with random
weights and a tokenizer made in code: no download, a CPU renders a clip in about a second,
and the frames are noise that still goes through the real pipeline, VAE and encoder.

GENERATION_MODEL_DIR is a directory laid out as `save_pretrained()` writes it:
`text/` (a WanPipeline checkpoint, required) and `extend/` (a WanVACEPipeline checkpoint,
optional; its text encoder, tokenizer and VAE come from `text/`).

One backend, one module: building the toy model, loading a checkpoint, the speed options
and rendering each mode all configure the same shared pipelines.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from .base import (
    CancelCheck,
    ProgressCallback,
    RenderCancelled,
    RenderError,
    RenderMode,
    RenderRequest,
    RenderResult,
    VideoBackend,
)

# Fail fast rather than reach for the hub: weights only ever come from a local directory.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TOY_MODEL_ID = "reel/wan2.1-toy-random"
TOY_MODEL_VERSION = "2"
TEXT_DIR = "text"
EXTEND_DIR = "extend"
MAX_SEQUENCE_LENGTH = 64
# How much of the source a remix may change: 1.0 ignores it, 0.0 copies it.
REMIX_STRENGTH = 0.7
# Source frames an extend keeps as the opening of the new clip, to continue from.
EXTEND_CONTEXT_FRAMES = 5


@dataclass(frozen=True, kw_only=True)
class WanOptions:
    """Where the weights come from and what they run on."""

    model_dir: Path | None = None
    device: str = "auto"
    dtype: str = "auto"
    cpu_threads: int = 1
    # Speed options for GPU workers; each is off by default.
    attention_backend: str = ""  # a diffusers attention backend: "flash", "_native_cudnn", "sage"...
    compile: str = "none"  # "regional": torch.compile each repeated transformer block
    cache: str = "none"  # "first_block": skip steps whose first block barely changes
    cache_threshold: float = 0.05


def build_tokenizer():
    """Return a byte-level tokenizer built offline that encodes any text without <unk>.

    Ids 0/1/2 are <pad>/</s>/<unk> as in T5 and every UTF-8 byte is one token. The byte
    alphabet is sorted because the library returns it in a different order on each call,
    which would change token ids, and so the frames, from one process to the next.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pad, eos, unk = "<pad>", "</s>", "<unk>"
    specials = [pad, eos, unk]
    vocab = {token: index for index, token in enumerate(specials)}
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(char, len(vocab))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=unk))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[(eos, 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token=pad,
        eos_token=eos,
        unk_token=unk,
        model_max_length=512,
    )


def build_toy_pipelines():
    """Return (text pipeline, VACE pipeline) at toy size with seeded random weights."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanPipeline,
        WanTransformer3DModel,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    tokenizer = build_tokenizer()
    # Each module gets its own seed so the weights do not depend on construction order.
    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(
        UMT5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            relative_attention_max_distance=32,
            feed_forward_proj="gated-gelu",
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
    ).eval()
    torch.manual_seed(1)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    ).eval()
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction",
        use_flow_sigmas=True,
        flow_shift=3.0,
        num_train_timesteps=1000,
    )
    common: dict[str, Any] = {
        "patch_size": (1, 2, 2),
        "num_attention_heads": 2,
        "attention_head_dim": 12,
        "in_channels": 16,
        "out_channels": 16,
        "text_dim": 32,
        "freq_dim": 256,
        "ffn_dim": 32,
        "cross_attn_norm": True,
        "qk_norm": "rms_norm_across_heads",
        "rope_max_seq_len": 1024,
    }
    torch.manual_seed(2)
    transformer = WanTransformer3DModel(num_layers=2, **common).eval()
    torch.manual_seed(3)
    vace_transformer = WanVACETransformer3DModel(
        num_layers=3, vace_layers=[0, 2], vace_in_channels=96, **common
    ).eval()
    shared = {"tokenizer": tokenizer, "text_encoder": text_encoder, "vae": vae}
    text = WanPipeline(transformer=transformer, scheduler=scheduler, **shared)
    extend = WanVACEPipeline(
        transformer=vace_transformer,
        scheduler=UniPCMultistepScheduler.from_config(scheduler.config),
        **shared,
    )
    return text, extend


def _to_uint8_frames(frames: np.ndarray) -> list[np.ndarray]:
    """Return float frames in [0, 1] as a list of RGB uint8 arrays."""
    array = (
        (np.clip(np.asarray(frames, dtype=np.float32), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    )
    return [np.ascontiguousarray(frame) for frame in array]


def _digest(arrays: list[np.ndarray]) -> str:
    """Return a SHA-256 over `arrays`, so a result records exactly which source it used."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array, dtype=np.uint8)
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _checkpoint_version(directory: Path) -> str:
    """Return a short hash of the checkpoint's configs, which change whenever the model does."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.json")):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class WanBackend(VideoBackend):
    """Render clips with the Wan 2.1 pipelines, loaded once and kept for the process."""

    extend_context_frames = EXTEND_CONTEXT_FRAMES

    def __init__(self, *, options: WanOptions | None = None) -> None:
        self.options = options or WanOptions()
        self._lock = threading.Lock()
        # The pipelines share one scheduler, whose state belongs to the render in progress.
        self._render_lock = threading.Lock()
        self._pipelines: dict[RenderMode, Any] | None = None
        self._device = "cpu"
        self._dtype_name = "float32"

    @classmethod
    def from_settings(cls) -> WanBackend:
        """Return a backend configured by the GENERATION_* settings."""
        model_dir = getattr(settings, "GENERATION_MODEL_DIR", None)
        return cls(
            options=WanOptions(
                model_dir=Path(model_dir) if model_dir else None,
                device=getattr(settings, "GENERATION_DEVICE", "auto"),
                dtype=getattr(settings, "GENERATION_DTYPE", "auto"),
                cpu_threads=int(getattr(settings, "GENERATION_CPU_THREADS", 1)),
                attention_backend=getattr(settings, "GENERATION_ATTENTION_BACKEND", ""),
                compile=getattr(settings, "GENERATION_COMPILE", "none"),
                cache=getattr(settings, "GENERATION_CACHE", "none"),
                cache_threshold=float(getattr(settings, "GENERATION_CACHE_THRESHOLD", 0.05)),
            )
        )

    @property
    def model_id(self) -> str:
        """Return the name recorded on every result."""
        if self.options.model_dir is None:
            return TOY_MODEL_ID
        return self.options.model_dir.resolve().name

    @property
    def model_version(self) -> str:
        """Return the version recorded on every result."""
        if self.options.model_dir is None:
            return TOY_MODEL_VERSION
        return _checkpoint_version(self.options.model_dir)

    def load(self) -> None:
        """Build or load the pipelines now rather than on the first render."""
        self._loaded()

    def _loaded(self) -> dict[RenderMode, Any]:
        with self._lock:
            if self._pipelines is None:
                self._pipelines = self._load()
            return self._pipelines

    def _load(self) -> dict[RenderMode, Any]:
        import torch
        from diffusers import (
            WanImageToVideoPipeline,
            WanPipeline,
            WanVACEPipeline,
            WanVideoToVideoPipeline,
        )

        device = self.options.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype_name = self.options.dtype
        if dtype_name == "auto":
            dtype_name = "bfloat16" if device.startswith("cuda") else "float32"
        dtype = getattr(torch, dtype_name)
        if device == "cpu":
            # Several threads per worker on a small machine contend and run many times slower.
            torch.set_num_threads(self.options.cpu_threads)

        if self.options.model_dir is None:
            text, extend = build_toy_pipelines()
            if dtype != torch.float32:
                text.to(dtype=dtype)
                extend.to(dtype=dtype)
        else:
            root = self.options.model_dir
            text = WanPipeline.from_pretrained(root / TEXT_DIR, dtype=dtype)
            extend = None
            if (root / EXTEND_DIR / "model_index.json").exists():
                extend = WanVACEPipeline.from_pretrained(
                    root / EXTEND_DIR,
                    tokenizer=text.tokenizer,
                    text_encoder=text.text_encoder,
                    vae=text.vae,
                    dtype=dtype,
                )
        # from_pretrained already chose the dtype and kept its float32 modules in float32.
        text.to(device)
        self._speed_up(text.transformer)
        if extend is not None:
            self._speed_up(extend.transformer)
        pipelines: dict[RenderMode, Any] = {RenderMode.TEXT: text}
        # Image-to-video conditions the same transformer on the first latent frame (as Wan 2.2
        # TI2V does), so it needs no CLIP image encoder and no second transformer.
        pipelines[RenderMode.IMAGE] = WanImageToVideoPipeline.from_pipe(
            text, expand_timesteps=True, image_encoder=None, image_processor=None
        )
        pipelines[RenderMode.REMIX] = WanVideoToVideoPipeline.from_pipe(text)
        if extend is not None:
            extend.to(device)
            pipelines[RenderMode.EXTEND] = extend
        for pipeline in pipelines.values():
            pipeline.set_progress_bar_config(disable=True)
        self._device, self._dtype_name = device, dtype_name
        return pipelines

    def _speed_up(self, transformer: Any) -> None:
        """Apply the speed options to a transformer: attention kernel, compilation, step cache."""
        options = self.options
        if options.attention_backend:
            transformer.set_attention_backend(options.attention_backend)
        if options.cache == "first_block":
            from diffusers import FirstBlockCacheConfig

            transformer.enable_cache(FirstBlockCacheConfig(threshold=options.cache_threshold))
        elif options.cache not in ("", "none"):
            raise ValueError(f"Unknown GENERATION_CACHE {options.cache!r}: use none or first_block.")
        if options.compile == "regional":
            transformer.compile_repeated_blocks(fullgraph=True)
        elif options.compile not in ("", "none"):
            raise ValueError(f"Unknown GENERATION_COMPILE {options.compile!r}: use none or regional.")

    @property
    def speed_options(self) -> dict[str, Any]:
        """The speed options in force, recorded with every render."""
        return {
            "attention_backend": self.options.attention_backend or "default",
            "compile": self.options.compile,
            "cache": self.options.cache,
            **({"cache_threshold": self.options.cache_threshold} if self.options.cache != "none" else {}),
        }

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the pipelines to `directory` in the layout GENERATION_MODEL_DIR expects."""
        pipelines = self._loaded()
        directory = Path(directory)
        pipelines[RenderMode.TEXT].save_pretrained(directory / TEXT_DIR)
        if RenderMode.EXTEND in pipelines:
            pipelines[RenderMode.EXTEND].save_pretrained(directory / EXTEND_DIR)

    def render(
        self,
        *,
        request: RenderRequest,
        on_step: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> RenderResult:
        """Render `request` with the pipeline for its mode."""
        import torch
        from PIL import Image

        pipelines = self._loaded()
        if request.mode not in pipelines:
            raise RenderError(
                _("The video model of this site cannot make %(mode)s videos.") % {"mode": request.mode}
            )
        pipeline = pipelines[request.mode]
        size = (request.width, request.height)
        parameters: dict[str, Any] = {
            "mode": str(request.mode),
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "width": request.width,
            "height": request.height,
            "num_frames": request.num_frames,
            "fps": request.fps,
            "steps": request.steps,
            "guidance": request.guidance,
            "seed": request.seed,
            "max_sequence_length": MAX_SEQUENCE_LENGTH,
            "scheduler": {
                k: v for k, v in pipeline.scheduler.config.items() if not k.startswith("_")
            },
            "device": self._device,
            "dtype": self._dtype_name,
            "pipeline": type(pipeline).__name__,
            "speed": self.speed_options,
        }
        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            "height": request.height,
            "width": request.width,
            "num_inference_steps": request.steps,
            "guidance_scale": request.guidance,
            "max_sequence_length": MAX_SEQUENCE_LENGTH,
        }

        if request.mode is RenderMode.TEXT:
            arguments["num_frames"] = request.num_frames
        elif request.mode is RenderMode.IMAGE:
            assert request.source_image is not None  # RenderRequest requires it in this mode
            image = Image.fromarray(
                np.ascontiguousarray(request.source_image, dtype=np.uint8)
            ).convert("RGB")
            arguments.update(image=image.resize(size), num_frames=request.num_frames)
            parameters["source_image_sha256"] = _digest([request.source_image])
        elif request.mode is RenderMode.REMIX:
            # The remix keeps the source's timing: its first num_frames frames, looped if short.
            assert request.source_video is not None  # RenderRequest requires it in this mode
            source = list(request.source_video)
            frames = [source[index % len(source)] for index in range(request.num_frames)]
            arguments.update(
                video=[
                    Image.fromarray(np.asarray(f, dtype=np.uint8)).convert("RGB").resize(size)
                    for f in frames
                ],
                strength=REMIX_STRENGTH,
            )
            parameters.update(strength=REMIX_STRENGTH, source_video_sha256=_digest(source))
        else:
            assert request.source_video is not None  # RenderRequest requires it in this mode
            source = list(request.source_video)
            context = min(self.extend_context_frames, len(source), request.num_frames - 1)
            kept = [
                Image.fromarray(np.asarray(f, dtype=np.uint8)).convert("RGB").resize(size)
                for f in source[-context:]
            ]
            blank = Image.new("RGB", size, (128, 128, 128))
            # Black mask keeps a frame as given; white asks the model to generate it.
            arguments.update(
                video=kept + [blank] * (request.num_frames - context),
                mask=[Image.new("L", size, 0)] * context
                + [Image.new("L", size, 255)] * (request.num_frames - context),
                num_frames=request.num_frames,
            )
            parameters.update(context_frames=context, source_video_sha256=_digest(source))

        steps_done = 0
        cancelled = False

        def step_end(
            pipe: Any, index: int, timestep: Any, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            nonlocal steps_done, cancelled
            steps_done = index + 1
            if on_step is not None:
                on_step(steps_done, pipe.num_timesteps)
            if should_cancel is not None and should_cancel():
                cancelled = True
                # The pipeline skips the remaining steps once its interrupt flag is set.
                pipe._interrupt = True
            return tensors

        generator = torch.Generator("cpu").manual_seed(request.seed)
        with self._render_lock, torch.inference_mode():
            output = pipeline(
                generator=generator,
                callback_on_step_end=step_end,
                output_type="np",
                **arguments,
            )
        if cancelled:
            raise RenderCancelled(steps_done=steps_done, steps_total=pipeline.num_timesteps)
        return RenderResult(
            frames=_to_uint8_frames(output.frames[0]),
            fps=request.fps,
            model_id=self.model_id,
            model_version=self.model_version,
            seed=request.seed,
            parameters=json.loads(json.dumps(parameters, default=str)),
        )
