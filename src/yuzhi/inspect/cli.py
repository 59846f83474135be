"""``yuzhi inspect``: train on good images, inspect a batch, evaluate on an MVTec-layout category.

Heavy imports (torch) happen inside the commands so ``yuzhi --help`` stays fast.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="Visual defect inspection (中原智造): learn from good parts, flag and localise defects.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@contextmanager
def _progress_bar(enabled: bool = True):
    """A Rich progress bar driven by ``progress(stage, done, total)`` callbacks."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def cb(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield cb


@app.command()
def train(
    data: Path = typer.Argument(..., help="Folder of good images, or an MVTec AD category (uses train/good)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    image_size: int = typer.Option(0, help="Working size of the typical image's shorter side (px); "
                                           "0 (default) = native, at most 512."),
    tile_size: int = typer.Option(1024, help="Scaled images larger than this are processed in tiles."),
    false_reject_rate: float = typer.Option(0.05, help="Target share of good parts flagged NG (sets the threshold)."),
    holdout: float = typer.Option(0.2, help="Share of good images held out to set the threshold."),
    coreset_ratio: float = typer.Option(0.02, help="Share of training patches kept in the memory bank."),
    max_bank: int = typer.Option(16384, help="Upper bound on the memory bank size."),
    outlier_fraction: float = typer.Option(0.1, help="Share of bank patches dropped as likely contamination."),
    augment: bool = typer.Option(False, help="Also learn mirrored copies of the good images."),
    seed: int = typer.Option(0, help="Random seed (same seed and data give the same model)."),
    device: str = typer.Option("cpu", help="cpu (default), cuda, or auto (CUDA when torch sees a GPU)."),
    threads: int = typer.Option(0, help="CPU threads (0 = the free CPUs: CPUs minus load average)."),
    validate: bool = typer.Option(False, help="DATA is an MVTec category: score its labelled test/ images "
                                               "after training and put the figures in the model card."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a model on good images only and write it to --out."""
    from . import service

    service.set_threads(threads or None)
    params = {
        "image_size": image_size,
        "tile_size": tile_size,
        "false_reject_rate": false_reject_rate,
        "holdout_fraction": holdout,
        "coreset_ratio": coreset_ratio,
        "max_bank": max_bank,
        "augment": augment,
        "outlier_fraction": outlier_fraction,
        "random_state": seed,
    }
    with _progress_bar(not quiet) as cb:
        meta = service.train(data=data, out=out, params=params, progress=cb, device=device,
                             validate=validate)
    thr = meta["threshold"]
    how = (f"threshold from leave-one-out scores of all {thr['n_holdout']}" if thr.get("rule") == "leave-one-out"
           else f"{thr['n_holdout']} held out for the threshold")
    b = thr.get("false_reject_bounds") or {}
    typer.echo(
        f"model written to {out}: {meta['training']['n_images']} good images "
        f"({how}), bank {meta['bank_size']} patches, "
        f"threshold at {thr['false_reject_rate']:.1%} false rejects, {meta['train_seconds']:.1f} s"
    )
    v = meta.get("validation")
    if v:
        types = ", ".join(f"{t} {a:.3f} ({meta['validation']['per_type_caught'][t]:.0%} caught)"
                          for t, a in v["per_type_image_auroc"].items())
        typer.echo(f"validation on {v['n_images']} labelled test images: image AUROC {v['image_auroc']}, "
                   f"good parts rejected {v['false_reject_rate']:.1%}; per type: {types}")
    if b and not b.get("enough_goods_for_rate"):
        console.print(f"[yellow]note[/] {b['n']} calibration images cannot show a {thr['false_reject_rate']:.1%} "
                      f"false-reject rate; the threshold is the highest good score (expected false rejects "
                      f"up to {b['guaranteed_max']:.1%}). Add good images for a tighter threshold.")


@app.command()
def run(
    model: Path = typer.Argument(..., help="Model folder written by `yuzhi inspect train`."),
    input_path: Path = typer.Argument(..., metavar="INPUT", help="An image or a folder of images."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (report.csv, overlays/, maps/)."),
    save_maps: bool = typer.Option(False, "--save-maps", help="Write maps/<stem>.npy (float32, input H x W)."),
    threshold: float = typer.Option(0.5, help="Decision threshold on the normalised score (0.5 = trained)."),
    recursive: bool = typer.Option(False, "--recursive", "-r",
                                   help="Score the whole folder tree; paths in report.csv relative to INPUT."),
    device: str = typer.Option("cpu", help="cpu (default), cuda, or auto (CUDA when torch sees a GPU)."),
    threads: int = typer.Option(0, help="CPU threads (0 = the free CPUs: CPUs minus load average)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Score images: report.csv (path,score,verdict,...), an overlay PNG per NG image."""
    from . import service

    service.set_threads(threads or None)
    with _progress_bar(not quiet) as cb:
        s = service.run(model=model, input_path=input_path, out=out, save_maps=save_maps,
                        threshold=threshold, progress=cb, recursive=recursive, device=device)
    typer.echo(
        f"{s.n_images} files: {s.n_ok} OK, {s.n_ng} NG, {s.n_errors} unreadable "
        f"in {s.seconds:.1f} s; report {s.report}"
    )
    for r in s.rows:
        if r["verdict"] == "ERROR":
            console.print(f"[yellow]skipped[/] {r['path']}: {r['error']}")


@app.command("eval")
def evaluate(
    model: Path = typer.Argument(..., help="Model folder written by `yuzhi inspect train`."),
    dataset: Path = typer.Argument(..., help="MVTec AD category folder (test/<type>, ground_truth/<type>)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    threshold: float = typer.Option(0.5, help="Decision threshold on the normalised score."),
    device: str = typer.Option("cpu", help="cpu (default), cuda, or auto (CUDA when torch sees a GPU)."),
    threads: int = typer.Option(0, help="CPU threads (0 = the free CPUs: CPUs minus load average)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Image AUROC, pixel AUROC, AUPRO@30% FPR, F1 at the threshold, throughput."""
    from . import service

    service.set_threads(threads or None)
    with _progress_bar(not quiet and not as_json) as cb:
        r = service.evaluate(model=model, dataset=dataset, threshold=threshold, progress=cb, device=device)
    if as_json:
        typer.echo(json.dumps(r, ensure_ascii=False))
        return
    typer.echo(f"{r['dataset']}: {r['n_images']} images ({r['n_defective']} defective)")
    for k in ("image_auroc", "pixel_auroc", "aupro_30", "f1", "f1_max", "false_reject_rate", "miss_rate",
              "images_per_second"):
        typer.echo(f"  {k:<18} {r[k]}")
    for t, v in r["per_type_image_auroc"].items():
        typer.echo(f"  image_auroc[{t}] {v}")
