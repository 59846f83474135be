"""Training an inspection model from the web as a compute job (metered, billed, subsidised).

Why a compute job and not a thread in the web process: training takes minutes of CPU, and the
platform's compute network already meters jobs, holds the quote against the unit's budget, bills
the provider's price through the voucher bill service and shows the expected subsidy. The page
packs the uploaded good images into one ``images.zip`` artifact and submits the typed job
``inspect.train`` (``yuzhi inspect train inputs/images --out outputs/model``) through
:func:`yuzhi.compute.service.submit_job`; when it has succeeded, the member installs the job's
``model.zip`` output as a model of their organisation (verified by :func:`.model_io.load_model`
before it becomes visible).
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from yuzhi.accounts.actor import Actor
from yuzhi.audit.service import record
from yuzhi.compute import service as compute
from yuzhi.compute.models import ComputeJob
from yuzhi.compute.schemas import JobIn
from yuzhi.compute.store import ArtifactStore
from yuzhi.errors import Forbidden, InvalidInput

from .detector import MIN_TRAIN_IMAGES
from .images import IMAGE_SUFFIXES
from .service import model_dir, models_root

JOB_KIND = "inspect.train"
#: The job's name carries the model name: ``inspect model NAME``.
NAME_PREFIX = "inspect model "
#: Resources asked of the compute network: the training floor is 600 images in 120 s on 2 cores
#: and 3 GB; the time limit leaves room for a slower node and for larger uploads.
CPUS, MEM_MB, TIME_LIMIT_S = 2, 3072, 1800
MAX_IMAGES = 5000


@dataclass(frozen=True)
class TrainingJob:
    """One training job as the inspection page shows it."""

    id: int
    model: str
    status: str
    elapsed_s: int | None
    quote_fen: int
    charge_fen: int | None
    expected_subsidy_fen: int
    installed: bool
    has_model: bool


def _is_image(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return p.suffix.lower() in IMAGE_SUFFIXES and not any(part.startswith((".", "__MACOSX")) for part in p.parts)


def pack_images(files: list[tuple[str, bytes]]) -> bytes:
    """One flat, deterministic ``images.zip`` from uploaded image files and/or zip archives.

    Zips are read member by member (any folder depth; hidden files and ``__MACOSX`` skipped) and
    every image is written flat, numbered, so nested folders and equal names cannot collide or
    escape the job's folder. Refuses fewer than ``MIN_TRAIN_IMAGES`` images (nothing is stored).
    """
    images: list[tuple[str, bytes]] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    for info in sorted(zf.infolist(), key=lambda i: i.filename):
                        if not info.is_dir() and _is_image(info.filename):
                            images.append((info.filename, zf.read(info)))
            except zipfile.BadZipFile:
                raise InvalidInput(f"{name} is not a zip archive.", field="files",
                                   fix="Upload a real .zip of good images, or the image files themselves.") from None
        elif _is_image(name):
            images.append((name, data))
        else:
            raise InvalidInput(f"{name} is neither an image nor a .zip.", field="files",
                               fix=f"Upload images ({', '.join(sorted(IMAGE_SUFFIXES))}) or a .zip of them.")
        if len(images) > MAX_IMAGES:
            raise InvalidInput(f"more than {MAX_IMAGES} images uploaded.", field="files",
                               fix=f"Train on at most {MAX_IMAGES} good images (600 are plenty).")
    if len(images) < MIN_TRAIN_IMAGES:
        raise InvalidInput(f"{len(images)} good images uploaded; at least {MIN_TRAIN_IMAGES} are needed.",
                           field="files", fix="Upload 10 or more images of good parts (200+ recommended).")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for k, (name, data) in enumerate(images):
            info = zipfile.ZipInfo(f"{k:05d}{PurePosixPath(name).suffix.lower()}", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, data)
    return buf.getvalue()


def _org_models(actor: Actor) -> Path:
    return models_root() / f"org-{actor.org_id}"


def submit_training(session: Session, *, actor: Actor, model: str, files: list[tuple[str, bytes]],
                    store: ArtifactStore, estimate_subsidy=None) -> ComputeJob:
    """Pack the good images, store them for the caller's organisation and queue ``inspect.train``.

    The compute service quotes, holds the quote against the organisation's budget and audits the
    submission; any refusal (no budget, no provider) raises before anything is queued.
    """
    if actor.org_id is None or actor.is_office or actor.is_provider:
        raise Forbidden("only members of an organisation train inspection models")
    model_dir(model)  # validates the name
    if (_org_models(actor) / model / "model.json").exists():
        raise InvalidInput(f"your organisation already has a model called {model!r}.", field="model",
                           fix="Choose another name.")
    data = pack_images(files)
    sha = store.put_bytes(data, name="images.zip", owner=compute.owner_key(actor)).sha256
    job_in = JobIn(kind=JOB_KIND, name=f"{NAME_PREFIX}{model}", inputs={"images.zip": sha},
                   cpus=CPUS, mem_mb=MEM_MB, time_limit_s=TIME_LIMIT_S)
    return compute.submit_job(session, actor=actor, job_in=job_in, store=store, estimate_subsidy=estimate_subsidy)


def _model_name(job: ComputeJob) -> str:
    return job.name[len(NAME_PREFIX):] if job.name.startswith(NAME_PREFIX) else job.name


def _model_output(job: ComputeJob) -> str | None:
    for art in json.loads(job.outputs_json or "[]"):
        if art.get("name") == "model.zip":
            return str(art["sha256"])
    return None


def training_jobs(session: Session, *, actor: Actor, limit: int = 20) -> list[TrainingJob]:
    """The caller's organisation's recent training jobs (tenant-scoped by the compute service)."""
    if actor.org_id is None or actor.is_provider:
        return []
    rows, _ = compute.list_jobs(session, actor=actor, limit=200)
    out = []
    for job in rows:
        if job.kind != JOB_KIND or job.org_id != actor.org_id:
            continue
        name = _model_name(job)
        elapsed = None
        if job.started_at is not None:  # naive on SQLite, aware on PostgreSQL: compare as UTC
            start = job.started_at.replace(tzinfo=job.started_at.tzinfo or UTC)
            end = job.ended_at or datetime.now(UTC)
            end = end.replace(tzinfo=end.tzinfo or UTC)
            elapsed = max(0, int((end - start).total_seconds()))
        out.append(TrainingJob(
            id=job.id, model=name, status=str(job.status), elapsed_s=elapsed, quote_fen=job.quote_fen,
            charge_fen=job.charge_fen, expected_subsidy_fen=job.expected_subsidy_fen or 0,
            installed=(_org_models(actor) / name / "model.json").exists(),
            has_model=_model_output(job) is not None))
        if len(out) >= limit:
            break
    return out


def install_model(session: Session, *, actor: Actor, job_id: int, store: ArtifactStore) -> Path:
    """Install a succeeded training job's model as a model of the caller's organisation.

    The archive is unpacked into a temporary folder and loaded (metadata and array hash verified)
    before it is moved into place, so a broken or tampered output never becomes visible.
    """
    job = compute.get_job(session, actor=actor, job_id=job_id)  # 404 for another tenant's job
    if actor.org_id is None or actor.org_id != job.org_id or actor.is_provider:
        raise Forbidden("only the organisation that trained the model installs it")
    if job.kind != JOB_KIND:
        raise InvalidInput(f"job {job_id} is not an inspection training job.", field="job_id")
    sha = _model_output(job)
    if str(job.status) != "succeeded" or sha is None:
        raise InvalidInput(f"job {job_id} has no trained model ({job.status}).", field="job_id",
                           fix="Wait for the job to succeed; if it failed, read its log on the compute job page.")
    name = _model_name(job)
    model_dir(name)
    dest = _org_models(actor) / name
    if (dest / "model.json").exists():
        raise InvalidInput(f"your organisation already has a model called {name!r}.", field="model",
                           fix="It is installed; pick it in the model list.")
    from .model_io import load_model

    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        staged = Path(tmp) / "model"
        try:
            with zipfile.ZipFile(io.BytesIO(store.read_bytes(sha))) as zf:
                for info in zf.infolist():
                    parts = PurePosixPath(info.filename).parts
                    if info.is_dir():
                        continue
                    if info.filename.startswith(("/", "\\")) or ".." in parts or len(parts) != 1:
                        raise InvalidInput(f"model archive member {info.filename!r} is not a model file.",
                                           field="job_id")
                    (staged / parts[0]).parent.mkdir(parents=True, exist_ok=True)
                    (staged / parts[0]).write_bytes(zf.read(info))
        except zipfile.BadZipFile:
            raise InvalidInput(f"job {job_id}'s model output is not a zip archive.", field="job_id") from None
        _, meta = load_model(staged)  # raises a clear error on a broken or tampered model
        shutil.move(str(staged), str(dest))
    record(session, actor=actor, action="inspect.model.install", entity="compute_job", entity_id=job.id,
           after={"model": name, "artifact": sha, "training_sha256": meta.get("training", {}).get("sha256")},
           org_id=job.org_id)
    return dest
