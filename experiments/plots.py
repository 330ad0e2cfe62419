"""The two figures: gloss loss against ordinary-text loss (one point per arm and adapter
weight, with 95 % intervals), and the training loss curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import ARMS


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_pareto(points: list[dict], path: Path) -> None:
    plt = _plt()
    axes_sets = [s for s in ("sentences", "language_data") if any(p.get(s) for p in points)]
    fig, axes = plt.subplots(1, max(1, len(axes_sets)), figsize=(7 * max(1, len(axes_sets)), 5.5),
                             squeeze=False)
    colours = plt.get_cmap("tab10")
    names = list(dict.fromkeys(p["arm"] for p in points))
    for ax, s in zip(axes[0], axes_sets):
        for k, arm in enumerate(names):
            pts = [p for p in points if p["arm"] == arm and p.get(s)]
            if not pts:
                continue
            x = np.array([p[s]["mean"] for p in pts])
            y = np.array([p["gloss"]["mean"] for p in pts])
            xerr = np.array([[p[s]["mean"] - p[s]["lo"], p[s]["hi"] - p[s]["mean"]] for p in pts]).T
            yerr = np.array([[p["gloss"]["mean"] - p["gloss"]["lo"],
                              p["gloss"]["hi"] - p["gloss"]["mean"]] for p in pts]).T
            marker = "s" if arm in ("base", "reference") else "o"
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=marker + "-", ms=4, lw=1, capsize=2,
                        color=colours(k % 10), label=arm)
            for p, xi, yi in zip(pts, x, y):
                if p["weight"] is not None and len(pts) > 1:
                    ax.annotate(f"{p['weight']:g}", (xi, yi), fontsize=6,
                                textcoords="offset points", xytext=(3, 3))
        ax.set_xlabel(f"ordinary-text loss on {s} (nats/char)")
        ax.set_ylabel("gloss loss on seen-word hyperwords (nats/token)")
        ax.set_title(f"core + w·language (w labelled), {s}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(res, path: Path) -> None:
    """Training loss per step, mean over seeds; a branching arm starts from its first stage,
    and an extension arm is drawn beside the plain core it is paired with."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 5))
    colours = plt.get_cmap("tab10")
    series = []  # (label, unit ids per seed, each seed's units in run order)
    for arm in res.arms:
        a = ARMS[arm]
        if a.extended:
            series.append(("core (plain tokenizer)",
                           [[f"root-core-{a.format}-s{s}"] for s in res.seeds]))
        series.append((arm, [[i for i in (res.root_id(arm, s), f"arm-{arm}-{a.format}-s{s}")
                              if i] for s in res.seeds]))
    for k, (label, per_seed) in enumerate(series):
        curves = []
        for ids in per_seed:
            units = [res.units.get(i) for i in ids]
            if units[-1] is None:
                continue
            curves.append([c["loss"] for u in units if u for c in u["curve"]])
        if not curves:
            continue
        width = min(map(len, curves))
        mean = np.mean([c[:width] for c in curves], axis=0)
        window = max(1, width // 40)  # a light moving average: single batches are noisy
        smooth = np.convolve(mean, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(len(smooth)) + window, smooth, color=colours(k % 10), label=label,
                lw=1)
    ax.set_xlabel("optimizer step (the shared first stage included)")
    ax.set_ylabel("training loss (nats/token, smoothed, mean over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_learning_curve(points: list[dict], path: Path) -> None:
    """Knowledge measures of the core against mean exposures per word (log axis)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    x = np.array([max(p["exposures"].get("mean", 0), 0.1) for p in points])
    for label in ("forced choice, to translate", "forced choice, spelled",
                  "to translate, minus control", "spelled, minus control"):
        ests = [p["figures"][label] for p in points]
        keep = [i for i, e in enumerate(ests) if e is not None]
        if not keep:
            continue
        y = np.array([ests[i]["mean"] for i in keep])
        err = np.array([[ests[i]["mean"] - ests[i]["lo"], ests[i]["hi"] - ests[i]["mean"]]
                        for i in keep]).T
        ax.errorbar(x[keep], y, yerr=err, fmt="o-", ms=4, lw=1, capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("mean occurrences of a word in the trained mnemo rows")
    ax.set_ylabel("share (95 % interval)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
