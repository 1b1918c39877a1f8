"""The grid canvas and the two readouts (GAPNet, PermuteNet/ShuffleNet)."""

import torch

from chanpos.canvas import canvas_batches, paste
from chanpos.models.readouts import GAPReadout, ShuffleReadout, build_readout


def test_paste_puts_each_image_in_its_cell_on_zero_background():
    images = torch.arange(1, 5, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 3, 2, 2)
    canvas = paste(images, torch.tensor([0, 2, 4, 8]), grid=3)
    assert canvas.shape == (4, 3, 6, 6)
    for i, (row, col) in enumerate([(0, 0), (0, 2), (1, 1), (2, 2)]):
        cell = canvas[i, :, 2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
        assert torch.all(cell == i + 1)
        assert canvas[i].sum() == cell.sum()  # nothing outside the cell


def test_canvas_batches_draw_every_cell_and_flip_only_when_asked():
    images = torch.randn(900, 3, 4, 4)
    labels = torch.arange(900)
    gen = torch.Generator().manual_seed(0)
    locs = torch.cat([b[1] for b in canvas_batches(images, labels, 3, 64, gen)])
    counts = torch.bincount(locs, minlength=9)
    assert counts.min() > 60  # roughly uniform over the 9 cells
    x, loc, y = next(canvas_batches(images, labels, 3, 8, gen, shuffle=False, flip=False))
    assert torch.equal(y, labels[:8])
    row, col = int(loc[0]) // 3, int(loc[0]) % 3
    assert torch.equal(x[0, :, 4 * row : 4 * row + 4, 4 * col : 4 * col + 4], images[0])


def test_shuffle_readout_is_permutation_invariant_in_distribution():
    torch.manual_seed(0)
    readout = ShuffleReadout(16, 4)
    z = torch.randn(1, 16, 3, 3)
    zp = z[:, torch.randperm(16)]
    with torch.no_grad():
        a = torch.stack([readout(z) for _ in range(4000)]).mean(0)
        b = torch.stack([readout(zp) for _ in range(4000)]).mean(0)
        spread = torch.stack([readout(z) for _ in range(200)]).std(0).max()
    assert spread > 0.01  # the permutation really changes the output per pass
    assert torch.allclose(a, b, atol=0.03)


def test_gap_readout_reads_channel_order():
    torch.manual_seed(0)
    readout = GAPReadout(16, 4, kernel_size=1)
    z = torch.randn(2, 16, 3, 3)
    zp = z[:, torch.randperm(16)]
    with torch.no_grad():
        assert torch.equal(readout(z), readout(z))  # deterministic
        assert not torch.allclose(readout(z), readout(zp), atol=1e-3)


def test_gap_readout_with_1x1_conv_equals_readout_of_pooled_latent():
    torch.manual_seed(0)
    readout = GAPReadout(8, 3, kernel_size=1)
    z = torch.randn(5, 8, 4, 4)
    with torch.no_grad():
        pooled = z.mean(dim=(-2, -1), keepdim=True)
        assert torch.allclose(readout(z), readout(pooled), atol=1e-5)


def test_build_readout_rejects_unknown_names():
    assert isinstance(build_readout("shufflenet", 8, 2), ShuffleReadout)
    try:
        build_readout("fcnet", 8, 2)
    except ValueError as err:
        assert "gapnet" in str(err)
    else:
        raise AssertionError("unknown readout accepted")
