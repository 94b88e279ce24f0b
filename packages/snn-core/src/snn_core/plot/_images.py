"""traceTorch's ``render_image``: a grid of images from a ``[B, C, H, W]`` batch."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ._common import finish, pyplot, to_numpy

__all__ = ["render_image"]


def render_image(
    tensor: Any,
    title: str | None = None,
    name: str = "",
    save: bool | str | os.PathLike[str] = False,
) -> tuple[Any, Any]:
    """Show a batch of images in a grid of ``ceil(sqrt(B))`` columns, axes off.

    One channel is drawn in grayscale, three channels as RGB (channels moved last). Same layout as
    traceTorch (figure ``2*cols x 2*rows`` inches); the tensor is detached and copied to the CPU, and the
    figure is returned instead of shown.

    Args:
        tensor: ``[B, C, H, W]`` with ``C`` 1 or 3 (``[C, H, W]`` is taken as one image).
        title: optional figure title.
        name: file name stem used when ``save=True``.
        save: ``True`` writes ``media/{name}.png`` like traceTorch; a path writes there; ``False`` saves nothing.

    Returns:
        ``(figure, axes array)``.

    Raises:
        ValueError: if the tensor is not ``[B, C, H, W]`` with 1 or 3 channels, or ``save=True`` without ``name``.
    """
    images = to_numpy(tensor)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"tensor must be [B, C, H, W] with C in (1, 3) and B >= 1, got shape {images.shape}")
    if save is True and not name:
        raise ValueError("render_image: save=True needs a name (the file is media/{name}.png)")
    batch = images.shape[0]
    cols = math.ceil(math.sqrt(batch))
    rows = math.ceil(batch / cols)
    plt = pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2 * rows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= batch:
            continue
        image = images[index]
        if image.shape[0] == 1:
            ax.imshow(image[0], cmap="gray")
        else:
            ax.imshow(image.transpose(1, 2, 0).clip(0.0, 1.0))
    if title:
        fig.suptitle(title)
    if save is True:
        finish(fig, Path("media") / f"{name}.png")
    elif save:
        finish(fig, save)
    return fig, axes
