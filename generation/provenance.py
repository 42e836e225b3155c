"""Provenance of generated videos: what made them, written into the file and kept on the side.

Three layers, each surviving what the one before does not (one idea, so one module, though a
long one: the three are written together and read together):

* a JSON manifest in the MP4's metadata (`PROVENANCE_KEY` and `comment`), read by any tool
  but lost to most re-uploads and re-encodes;
* a C2PA manifest signed with the platform's key, tamper-evident but also stripped by a
  plain remux;
* per-second PDQ hashes of the frames (vPDQ style), kept by the platform, which still match
  after re-encoding, resizing and watermarking.

`ProvenanceManifest.content_sha256` is `stream_sha256` of the encoded video: a digest of the
compressed video packets, not of the file. Embedding metadata and signing rewrite the file
but copy the packets, so the published file, and any stream copy of it, still hashes to the
value in its own manifest; a re-encode does not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import av
import numpy as np
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from moderation.media import PDQ_MAX_DISTANCE as DEFAULT_MAX_DISTANCE
from moderation.media import PDQ_MIN_QUALITY as DEFAULT_MIN_QUALITY
from moderation.media import CheckUnavailable, hamming, pack_hex, pdq_hash

# The MP4 metadata key and the C2PA assertion label that hold the manifest.
PROVENANCE_KEY = "reel.provenance"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# use_metadata_tags keeps keys the QuickTime atoms have no slot for (PROVENANCE_KEY).
MP4_OPTIONS = {"movflags": "+faststart+use_metadata_tags"}
# Container tags the demuxer reports but the muxer writes itself.
_MUXER_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
# Consecutive sampled frames this close are one shot: well inside the match distance, so a
# dropped frame costs a match at most a few bits.
DEDUPE_DISTANCE = 8


class ProvenanceError(RuntimeError):
    """Raised when provenance cannot be written or computed; the caller decides what follows."""


@dataclass(frozen=True)
class ProvenanceManifest:
    """What the platform asserts about a video it generated."""

    SCHEMA = 1

    model_id: str
    model_version: str
    seed: int
    prompt_sha256: str
    job_id: int
    creator_handle: str
    creator_id: int
    created_at: str  # ISO 8601
    content_sha256: str  # stream_sha256 of the encoded video
    platform: str = "reel"
    parameters: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the manifest as JSON-ready values, with its schema version."""
        return {"schema": self.SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProvenanceManifest:
        """Return the manifest stored as `data` by `as_dict`."""
        names = {f.name for f in fields(cls)}
        try:
            return cls(**{key: value for key, value in data.items() if key in names})
        except TypeError as exc:
            raise ProvenanceError(f"Not a provenance manifest: {exc}") from exc

    def to_json(self) -> str:
        """Return the manifest as compact JSON with sorted keys."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))


def prompt_digest(prompt: str) -> str:
    """Return the SHA-256 (hex) of `prompt` in NFC, so equal text always hashes equal."""
    return hashlib.sha256(unicodedata.normalize("NFC", prompt).encode("utf-8")).hexdigest()


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 (hex) of the bytes of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stream_sha256(path: str | Path) -> str:
    """Return the SHA-256 (hex) of the compressed packets of the first video stream.

    Unchanged by remuxing, metadata and C2PA signing; changed by any re-encode.
    """
    digest = hashlib.sha256()
    try:
        with av.open(str(path)) as container:
            for packet in container.demux(video=0):
                if packet.size:
                    digest.update(bytes(packet))
    except (av.FFmpegError, IndexError) as exc:
        raise ProvenanceError(f"Cannot read the video stream of {path}: {exc}") from exc
    return digest.hexdigest()


# MP4 metadata


def embed_metadata(src: str | Path, dst: str | Path, manifest: ProvenanceManifest) -> None:
    """Copy the MP4 at `src` to `dst` (which may be `src`) with `manifest` in its metadata.

    The streams are copied, not re-encoded, and the moov atom stays first. The manifest JSON
    goes under `PROVENANCE_KEY` and under `comment`, which survives a plain `ffmpeg -c copy`.
    """
    document = manifest.to_json()
    try:
        with (
            _replacing(dst) as target,
            av.open(str(src)) as source,
            av.open(str(target), mode="w", format="mp4", options=MP4_OPTIONS) as output,
        ):
            for key, value in source.metadata.items():
                if key not in _MUXER_TAGS:
                    output.metadata[key] = value
            output.metadata["comment"] = document
            output.metadata[PROVENANCE_KEY] = document
            _copy_streams(source, output)
    except av.FFmpegError as exc:
        raise ProvenanceError(f"Cannot write metadata into {dst}: {exc}") from exc


def read_metadata(path: str | Path) -> dict[str, Any] | None:
    """Return the manifest stored in the MP4 metadata at `path`, or None if it has none."""
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    try:
        with av.open(str(path)) as container:
            tags = dict(container.metadata)
    except av.FFmpegError:
        return None
    for key in (PROVENANCE_KEY, "comment"):
        with contextlib.suppress(ValueError):
            value = json.loads(tags.get(key) or "null")
            if isinstance(value, dict) and "content_sha256" in value:
                return value
    return None


def _copy_streams(source: av.container.InputContainer, output: av.container.OutputContainer) -> None:
    streams = {}
    for stream in source.streams:
        if stream.type in ("video", "audio"):
            streams[stream.index] = output.add_stream_from_template(stream)
    if not streams:
        raise ProvenanceError("The file has neither video nor audio to copy.")
    for packet in source.demux(*(source.streams[index] for index in streams)):
        if packet.dts is None:  # the demuxer's end-of-stream marker
            continue
        packet.stream = streams[packet.stream.index]
        output.mux(packet)


@contextlib.contextmanager
def _replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` that replaces it if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# C2PA


@dataclass(frozen=True)
class SigningCredentials:
    """An ES256 signing key, its certificate chain (leaf first) and the CA that roots it."""

    certificate_chain: bytes
    private_key: bytes = field(repr=False)
    trust_anchor: bytes


_CA_KEY, _CA_CERT, _SIGNER_KEY, _SIGNER_CERT = "ca.key", "ca.pem", "signer.key", "signer.pem"
CA_LIFETIME = dt.timedelta(days=3650)
SIGNER_LIFETIME = dt.timedelta(days=365)
# A signer certificate this close to expiry is replaced (by the same CA) before use.
SIGNER_RENEWAL = dt.timedelta(days=30)


def signing_credentials(directory: str | Path, *, organisation: str = "reel") -> SigningCredentials:
    """Return the C2PA signing credentials kept in `directory`, creating them on first use.

    C2PA refuses a lone self-signed certificate, so there are two: a local CA and an ES256
    signing certificate it issued. Keys are written 0600; every file is written to a
    temporary name and renamed, under a lock, so concurrent workers end up sharing one set.
    """
    directory = Path(directory)
    credentials = _load_credentials(directory)
    if credentials is not None:
        return credentials
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _locked(directory / ".lock"):
            return _load_credentials(directory) or _issue_credentials(directory, organisation)
    except OSError as exc:
        raise ProvenanceError(f"Cannot create C2PA signing credentials in {directory}: {exc}") from exc


def c2pa_sign(
    src: str | Path,
    dst: str | Path,
    manifest: ProvenanceManifest,
    *,
    credentials: SigningCredentials,
    title: str | None = None,
) -> None:
    """Write `src` to `dst` with a signed C2PA manifest: created by a model, and `manifest`."""
    c2pa = _c2pa()
    definition = c2pa_definition(manifest, title=title or Path(dst).name)
    signer_info = c2pa.C2paSignerInfo(
        c2pa.C2paSigningAlg.ES256, credentials.certificate_chain, credentials.private_key, None
    )
    try:
        with (
            _replacing(dst) as target,
            c2pa.Signer.from_info(signer_info) as signer,
            c2pa.Builder(definition) as builder,
            open(src, "rb") as source,
            open(target, "w+b") as output,
        ):
            builder.sign(signer, "video/mp4", source, output)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"C2PA signing of {src} failed: {exc}") from exc


def c2pa_definition(manifest: ProvenanceManifest, *, title: str) -> dict[str, Any]:
    """Return the C2PA manifest definition for a video `manifest` describes."""
    agent = {"name": manifest.model_id}
    if manifest.model_version:
        agent["version"] = manifest.model_version
    created = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": agent,
        "when": manifest.created_at,
    }
    return {
        "claim_generator_info": [{"name": manifest.platform}],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [created]}},
            {"label": PROVENANCE_KEY, "data": manifest.as_dict()},
        ],
    }


def c2pa_read(path: str | Path, *, trust_anchor: bytes | None = None) -> dict[str, Any] | None:
    """Return the C2PA manifest store of the file at `path`, or None if absent or invalid.

    Without `trust_anchor` a well-signed store reads as "Valid"; with the platform's CA it
    reads as "Trusted". A store whose signature or hashes fail ("Invalid") is None.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    c2pa = _c2pa()
    try:
        with contextlib.ExitStack() as stack:
            context = None
            if trust_anchor is not None:
                context = stack.enter_context(c2pa.Context.from_dict(_trust_settings(trust_anchor)))
            reader = c2pa.Reader.try_create(str(path), context=context)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except (c2pa.C2paError, ValueError):
        return None
    if store.get("validation_state") == "Invalid":
        return None
    return store


def c2pa_assertion(store: dict[str, Any], label: str = PROVENANCE_KEY) -> dict[str, Any] | None:
    """Return the data of assertion `label` in the active manifest of `store`, if any."""
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    for assertion in active.get("assertions", []):
        if assertion.get("label") == label:
            return assertion.get("data")
    return None


def _c2pa():
    try:
        import c2pa
    except ImportError as exc:
        raise ProvenanceError(f"C2PA is unavailable: c2pa-python cannot be imported ({exc}).") from exc
    return c2pa


def _trust_settings(trust_anchor: bytes) -> dict[str, Any]:
    return {"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust_anchor.decode("ascii")}}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_credentials(directory: Path) -> SigningCredentials | None:
    """Return the credentials in `directory` if they are complete, consistent and current."""
    ca = _load_pair(directory / _CA_KEY, directory / _CA_CERT)
    signer = _load_pair(directory / _SIGNER_KEY, directory / _SIGNER_CERT)
    if ca is None or signer is None:
        return None
    signer_key, signer_cert = signer
    try:
        # A half-finished renewal leaves a signer the CA on disk did not issue.
        signer_cert.verify_directly_issued_by(ca[1])
    except (InvalidSignature, ValueError, TypeError):
        return None
    if signer_cert.not_valid_after_utc - _now() < SIGNER_RENEWAL:
        return None
    return _credentials(signer_key, signer_cert, ca[1])


def _issue_credentials(directory: Path, organisation: str) -> SigningCredentials:
    """Write a signing key and certificate, and the CA too unless a lasting one is there."""
    ca = _load_pair(directory / _CA_KEY, directory / _CA_CERT)
    if ca is None or ca[1].not_valid_after_utc - _now() < SIGNER_LIFETIME:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _certificate(ca_key, ca_key, None, organisation=organisation)
        _write(directory / _CA_KEY, _key_pem(ca_key), mode=0o600)
        _write(directory / _CA_CERT, _cert_pem(ca_cert), mode=0o644)
    else:
        ca_key, ca_cert = ca
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = _certificate(signer_key, ca_key, ca_cert, organisation=organisation)
    # The certificate goes last: a reader that finds it finds its key beside it.
    _write(directory / _SIGNER_KEY, _key_pem(signer_key), mode=0o600)
    _write(directory / _SIGNER_CERT, _cert_pem(signer_cert), mode=0o644)
    return _credentials(signer_key, signer_cert, ca_cert)


def _load_pair(key_path: Path, cert_path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    """Return the EC key and certificate in these files, or None if missing or unmatched."""
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        return None
    return key, certificate


def _credentials(
    key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, ca: x509.Certificate
) -> SigningCredentials:
    return SigningCredentials(
        certificate_chain=_cert_pem(certificate) + _cert_pem(ca),
        private_key=_key_pem(key),
        trust_anchor=_cert_pem(ca),
    )


def _certificate(
    subject_key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    *,
    organisation: str,
) -> x509.Certificate:
    """Return a self-signed CA certificate (no `issuer`) or a signing certificate `issuer` issued."""
    authority = issuer is None
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} C2PA {'root CA' if authority else 'signer'}"),
        ]
    )
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.subject)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # tolerate clocks a little behind
        .not_valid_after(now + (CA_LIFETIME if authority else SIGNER_LIFETIME))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=0 if authority else None), critical=True)
        .add_extension(_key_usage(authority=authority), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if not authority:
        # C2PA accepts signing certificates with one of a few purposes; "any" is refused.
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION])
        builder = builder.add_extension(usage, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(*, authority: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not authority,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=authority,
        crl_sign=authority,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` to `path` through a temporary file (created 0600) renamed into place."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, mode)
        os.replace(name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Perceptual hashes


@dataclass(frozen=True)
class FrameHash:
    """The PDQ hash (64 hex characters) of the frame `time` seconds in, and its quality."""

    pdq: str
    time: float
    quality: int

    def as_dict(self) -> dict[str, Any]:
        return {"hash": self.pdq, "time": self.time, "quality": self.quality}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameHash:
        return cls(pdq=data["hash"], time=float(data["time"]), quality=int(data["quality"]))


def video_hashes(
    frames: list[np.ndarray], *, fps: float, per_second: float = 1.0, dedupe_distance: int = DEDUPE_DISTANCE
) -> list[FrameHash]:
    """Return the PDQ hashes of RGB `frames` sampled `per_second`, without repeats."""
    if fps <= 0:
        raise ValueError("fps must be positive.")
    timed = ((index / fps, frame) for index, frame in enumerate(frames))
    return _hash_samples(timed, per_second=per_second, dedupe_distance=dedupe_distance)


def video_hashes_file(
    path: str | Path, *, per_second: float = 1.0, dedupe_distance: int = DEDUPE_DISTANCE
) -> list[FrameHash]:
    """Return the PDQ hashes of the video at `path`, as `video_hashes` does for frames."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = float(stream.average_rate or stream.guessed_rate or 24)
            timed = (
                (frame.time if frame.time is not None else index / rate, frame)
                for index, frame in enumerate(container.decode(stream))
            )
            return _hash_samples(timed, per_second=per_second, dedupe_distance=dedupe_distance)
    except (av.FFmpegError, IndexError) as exc:
        raise ProvenanceError(f"Cannot decode the video at {path}: {exc}") from exc


def video_match(
    query: list[FrameHash],
    candidate: list[FrameHash],
    *,
    distance: int = DEFAULT_MAX_DISTANCE,
    min_quality: int = DEFAULT_MIN_QUALITY,
) -> float:
    """Return the share (0-1) of `query`'s frames within `distance` bits of a `candidate` frame.

    Frames below `min_quality` (flat, blank) prove nothing and are left out on both sides.
    """
    queries = pack_hex([item.pdq for item in query if item.quality >= min_quality])
    candidates = pack_hex([item.pdq for item in candidate if item.quality >= min_quality])
    if not len(queries) or not len(candidates):
        return 0.0
    nearest = hamming(queries, candidates).min(axis=1)
    return float(np.mean(nearest <= distance))


def _hash_samples(timed: Iterable[tuple[float, Any]], *, per_second: float, dedupe_distance: int) -> list[FrameHash]:
    """Hash the first frame at or after each sampling instant, dropping near-repeats."""
    if per_second <= 0:
        raise ValueError("per_second must be positive.")
    hashes: list[FrameHash] = []
    last: np.ndarray | None = None
    next_time = 0.0
    for seconds, frame in timed:
        if seconds + 1e-6 < next_time:
            continue
        next_time = (int(seconds * per_second + 1e-6) + 1) / per_second
        pixels = frame if isinstance(frame, np.ndarray) else frame.to_ndarray(format="rgb24")
        try:
            hashed = pdq_hash(pixels)
        except CheckUnavailable as exc:
            raise ProvenanceError(str(exc)) from exc
        packed = np.frombuffer(hashed.bits, dtype=np.uint8)[None, :]
        if last is not None and hamming(packed, last)[0, 0] <= dedupe_distance:
            continue
        last = packed
        hashes.append(FrameHash(pdq=hashed.hex, time=round(float(seconds), 3), quality=hashed.quality))
    return hashes
