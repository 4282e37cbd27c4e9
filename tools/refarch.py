"""Reference CNN architectures in plain ``torch.nn`` for tests, fixtures and benchmarks.

torchvision and timm do not import with the CPU build of torch used here, so the layouts the pruner must
handle are rebuilt from ``torch.nn`` alone. Every builder returns a module in eval mode whose BatchNorm
layers carry random, non-trivial statistics and affine parameters (see :func:`randomize_bn`), so that a
pruned channel really changes the output and the oracle tests are meaningful.

Builders are deterministic: they draw all parameters from a private RNG stream seeded with ``seed`` and
leave the global torch RNG untouched.

``TINY_ARCHS`` maps a fixture name to ``(builder, kwargs, input_shape)`` for the small variants that
``tools/make_fixtures.py`` exports to ONNX. ``CORPUS_ARCHS`` does the same for the full-size (ImageNet-like)
architectures that ``tools/corpus.py`` exports and prunes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CORPUS_ARCHS",
    "TINY_ARCHS",
    "c2f_net",
    "convnext_like",
    "convnext_like_tiny",
    "densenet_like",
    "densenet_tiny",
    "efficientnet_b0_like",
    "efficientnet_b0_like_tiny",
    "fpn_net",
    "gap_gemm_head_net",
    "mobilenetv2",
    "mobilenetv2_tiny",
    "mobilenetv3_small",
    "mobilenetv3_small_tiny",
    "randomize_bn",
    "regnet_like",
    "regnet_like_tiny",
    "resnet50",
    "resnet56_cifar",
    "resnet_basic",
    "resnet_bottleneck",
    "se_block_net",
    "unet_tiny",
    "vgg",
    "yolov8_like",
    "yolov8_like_tiny",
]


# --------------------------------------------------------------------------------------------- helpers
def randomize_bn(model: nn.Module, seed: int = 0, *, sample: torch.Tensor | None = None,
                 sequential: bool = False) -> nn.Module:
    """Give every BatchNorm layer of ``model`` random statistics and affine parameters, in place.

    weight ~ U(0.2, 1.2) (some channels clearly weaker, so BN-scale importance has something to rank),
    bias ~ N(0, 0.1). Without ``sample``: running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5). With a
    ``sample`` batch, the running statistics are first measured on it (so activations keep a healthy scale
    through deep stacks and the output really depends on every channel) and then perturbed:
    mean += N(0, 0.1) * std, var *= U(0.5, 1.5). Returns ``model``.

    By default all BatchNorms are measured in one pass with batch statistics, so each sees unperturbed
    inputs and the perturbations compound with depth. ``sequential=True`` (needs ``sample``) measures each
    BatchNorm on its input in eval mode, after every earlier one was measured and perturbed: the scale
    stays near 1 however deep the network (a detector neck of 40+ conv layers needs this).
    """
    gen = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        _randomize_affine(bn, gen)
    if sequential:
        if sample is None:
            raise ValueError("randomize_bn(sequential=True) needs a sample batch")
        _measure_perturb_sequentially(model, bns, sample, gen)
        return model
    if sample is not None:
        _measure_stats(model, bns, sample)
    for bn in bns:
        _perturb_stats(bn, gen, measured=sample is not None)
    return model


def _randomize_affine(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator) -> None:
    n = bn.num_features
    with torch.no_grad():
        bn.weight.copy_(torch.rand(n, generator=gen) + 0.2)
        bn.bias.copy_(torch.randn(n, generator=gen) * 0.1)


def _measure_stats(model: nn.Module, bns: list[nn.Module], sample: torch.Tensor) -> None:
    """One forward pass with only the BatchNorms in train mode and a cumulative average (momentum=None)."""
    model.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    with torch.no_grad():
        model(sample)
    for bn in bns:
        bn.momentum = 0.1
        bn.eval()


def _measure_perturb_sequentially(model: nn.Module, bns: list[nn.Module], sample: torch.Tensor,
                                  gen: torch.Generator) -> None:
    """One eval-mode pass; a pre-hook sets each BatchNorm's statistics from its actual input, then perturbs.

    BatchNorms are reached in execution order, which is what lets each one see its perturbed predecessors.
    """

    def measure(bn: nn.modules.batchnorm._BatchNorm, inputs: tuple[torch.Tensor, ...]) -> None:
        x = inputs[0]
        dims = [d for d in range(x.dim()) if d != 1]
        bn.running_mean.copy_(x.mean(dims))
        bn.running_var.copy_(x.var(dims))
        _perturb_stats(bn, gen, measured=True)

    model.eval()
    hooks = [bn.register_forward_pre_hook(measure) for bn in bns]
    try:
        with torch.no_grad():
            model(sample)
    finally:
        for hook in hooks:
            hook.remove()


def _perturb_stats(bn: nn.modules.batchnorm._BatchNorm, gen: torch.Generator, measured: bool) -> None:
    n = bn.num_features
    noise_mean = torch.randn(n, generator=gen) * 0.1
    noise_var = torch.rand(n, generator=gen) + 0.5
    with torch.no_grad():
        if measured:
            bn.running_mean.add_(noise_mean * bn.running_var.sqrt())
            bn.running_var.mul_(noise_var)
        else:
            bn.running_mean.copy_(noise_mean)
            bn.running_var.copy_(noise_var)
        bn.num_batches_tracked.zero_()


def _reference(input_hw: int, *, batch: int = 2,
               sequential: bool = False) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorate a builder: add ``seed=0``, build under a private RNG, randomize BN, return eval mode.

    BN statistics are measured on a random ``batch`` x 3 x ``input_hw`` x ``input_hw`` batch, then
    perturbed (``sequential``: see :func:`randomize_bn`). The undecorated builder stays reachable as
    ``builder.__wrapped__``, so a small variant can reuse a layout under its own decorator.
    """

    def decorate(build: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        @functools.wraps(build)
        def wrapper(*args, seed: int = 0, **kwargs) -> nn.Module:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = build(*args, **kwargs)
                sample = torch.randn(batch, 3, input_hw, input_hw)
            return randomize_bn(model, seed, sample=sample, sequential=sequential).eval()

        return wrapper

    return decorate


class ConvBNAct(nn.Sequential):
    """Conv2d(bias=False) -> BatchNorm2d -> activation ("same" padding), named 0/1/2 like torchvision."""

    def __init__(self, cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1,
                 act: type[nn.Module] | None = nn.ReLU) -> None:
        layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)


# ----------------------------------------------------------------------------------------- ResNet family
class BasicBlock(nn.Module):
    """torchvision ResNet basic block; a 1x1 conv + BN projection when stride or width changes."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _projection(cin, planes, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """torchvision ResNet v1.5 bottleneck (stride on the 3x3), expansion 4."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _projection(cin, cout, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def _projection(cin: int, cout: int, stride: int) -> nn.Module | None:
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    """Generic ResNet: ``stem`` -> stages of ``block`` -> GAP -> flatten -> ``fc``.

    ``flatten`` picks the export idiom of the head: "flatten" (torch.flatten) or "view"
    (``x.view(x.size(0), -1)``, which the legacy exporter writes as Shape/Gather/Unsqueeze/Concat/Reshape).
    ``stem=None`` builds the torchvision ImageNet stem; attribute names then match torchvision exactly
    (conv1/bn1/relu/maxpool/layer1..4/avgpool/fc), so its state dicts load.
    """

    def __init__(self, block: type[nn.Module], stem: nn.Module | None, stem_out: int,
                 stages: list[tuple[int, int, int]], num_classes: int, flatten: str = "flatten") -> None:
        super().__init__()
        if stem is None:  # torchvision ImageNet stem, registered first and under torchvision's names
            self.conv1 = nn.Conv2d(3, stem_out, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(stem_out)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stem = stem
        cin = stem_out
        for i, (planes, blocks, stride) in enumerate(stages, start=1):
            layers = []
            for j in range(blocks):
                layers.append(block(cin, planes, stride if j == 0 else 1))
                cin = planes * block.expansion
            setattr(self, f"layer{i}", nn.Sequential(*layers))
        self.num_stages = len(stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)
        self.flatten_mode = flatten

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stem is None:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        else:
            x = self.stem(x)
        for i in range(1, self.num_stages + 1):
            x = getattr(self, f"layer{i}")(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), -1) if self.flatten_mode == "view" else torch.flatten(x, 1)
        return self.fc(x)


@_reference(32)
def resnet_basic(width: int = 8, num_classes: int = 10) -> nn.Module:
    """Tiny ResNet with basic blocks (input 1x3x32x32).

        x -> conv3x3-bn-relu (w)
          -> [basic w, s1, identity shortcut]
          -> [basic 2w, s2, 1x1 conv+bn projection shortcut]
          -> [basic 2w, s1, identity shortcut]
          -> GAP -> x.view(N, -1) -> Linear
    """
    stem = ConvBNAct(3, width)
    return ResNet(BasicBlock, stem, width, [(width, 1, 1), (2 * width, 2, 2)], num_classes, flatten="view")


@_reference(32)
def resnet_bottleneck(width: int = 8, num_classes: int = 10) -> nn.Module:
    """Tiny ResNet with bottleneck blocks (input 1x3x32x32).

        x -> conv3x3-bn-relu (w)
          -> [bottleneck w->w->4w, projection]  -> [bottleneck 4w->w->4w, identity]
          -> [bottleneck 4w->2w->8w, s2, projection]
          -> GAP -> torch.flatten -> Linear
    """
    stem = ConvBNAct(3, width)
    return ResNet(Bottleneck, stem, width, [(width, 2, 1), (2 * width, 1, 2)], num_classes)


@_reference(224)
def resnet50(num_classes: int = 1000, width: int = 64) -> nn.Module:
    """ResNet-50 (torchvision v1.5 layout and names), base width ``width`` (64 = standard), 224x224 input.

        x -> conv7x7/2-bn-relu -> maxpool3x3/2
          -> layer1: 3 x bottleneck(w)   -> layer2: 4 x bottleneck(2w, s2)
          -> layer3: 6 x bottleneck(4w, s2) -> layer4: 3 x bottleneck(8w, s2)
          -> GAP -> flatten -> fc(32w -> num_classes)
    """
    stages = [(width, 3, 1), (2 * width, 4, 2), (4 * width, 6, 2), (8 * width, 3, 2)]
    return ResNet(Bottleneck, None, width, stages, num_classes)


@_reference(32)
def resnet56_cifar(num_classes: int = 10, width: int = 16) -> nn.Module:
    """ResNet-56 for CIFAR (input 1x3x32x32): 3 stages x 9 basic blocks, widths w/2w/4w (16/32/64).

        x -> conv3x3-bn-relu (w) -> 9 x basic(w) -> 9 x basic(2w, first s2) -> 9 x basic(4w, first s2)
          -> GAP -> flatten -> Linear
    Shortcuts that change shape are option B (1x1 conv + BN projection).
    """
    stem = ConvBNAct(3, width)
    stages = [(width, 9, 1), (2 * width, 9, 2), (4 * width, 9, 2)]
    return ResNet(BasicBlock, stem, width, stages, num_classes)


# ----------------------------------------------------------------------------------------------- VGG
@_reference(32)
def vgg(width: int = 8, num_classes: int = 10) -> nn.Module:
    """Tiny VGG (input 1x3x32x32): plain conv-bn-relu stack, Flatten at 4x4 spatial -> Linear.

        x -> [cbr w, cbr w] -> maxpool -> [cbr 2w, cbr 2w] -> maxpool -> [cbr 4w] -> maxpool (4x4)
          -> nn.Flatten (channel-major: feature = c*16 + h*4 + w) -> Linear(4w*16 -> classes)
    """
    plan = [width, width, "M", 2 * width, 2 * width, "M", 4 * width, "M"]
    layers: list[nn.Module] = []
    cin = 3
    for item in plan:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers.append(ConvBNAct(cin, item))
            cin = item
    return nn.Sequential(nn.Sequential(*layers), nn.Flatten(), nn.Linear(cin * 16, num_classes))


# ---------------------------------------------------------------------------------------- MobileNetV2
def _make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """torchvision/TF rounding of channel counts: nearest multiple of ``divisor``, never below 90 % of v."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    """torchvision MobileNetV2 block: [1x1 expand] -> 3x3 depthwise -> 1x1 linear project (+ residual)."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(inp, hidden, 1, act=nn.ReLU6))
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


_MBV2_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                 [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


class MobileNetV2(nn.Module):
    """torchvision MobileNetV2 layout (``features.N``, ``classifier.1``), so its state dicts load."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 setting: list[list[int]] | None = None, last_channel: int | None = None,
                 dropout: float = 0.2) -> None:
        super().__init__()
        cin = _make_divisible(32 * width_mult)
        self.last_channel = last_channel or _make_divisible(1280 * max(1.0, width_mult))
        features: list[nn.Module] = [ConvBNAct(3, cin, stride=2, act=nn.ReLU6)]
        for t, c, n, s in setting or _MBV2_SETTING:
            cout = _make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        features.append(ConvBNAct(cin, self.last_channel, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        _init_like_torchvision(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


def _init_weights(model: nn.Module, init: str) -> None:
    """``init="torchvision"``: :func:`_init_like_torchvision`; ``"default"``: keep torch's default init.

    The small fixture variants use the default: torchvision's N(0, 0.01) Linear weights and zero biases
    shrink their logits to 0.1-0.4 (default init: 2-8), which weakens an absolute oracle bound of 1e-4.
    """
    if init == "torchvision":
        _init_like_torchvision(model)
    elif init != "default":
        raise ValueError(f"init must be 'torchvision' or 'default', got {init!r}")


def _init_like_torchvision(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


@_reference(224)
def mobilenetv2(width_mult: float = 1.0, num_classes: int = 1000) -> nn.Module:
    """Faithful torchvision MobileNetV2 (224x224 input).

        x -> features.0: conv3x3/2-bn-relu6
          -> features.1..17: inverted residuals  (1x1 expand -> dw3x3 -> 1x1 project [+ x])
          -> features.18: conv1x1-bn-relu6 (1280) -> GAP -> flatten -> Dropout -> Linear
    """
    return MobileNetV2(num_classes, width_mult)


@_reference(32)
def mobilenetv2_tiny(num_classes: int = 10) -> nn.Module:
    """MobileNetV2 class with small widths (input 1x3x32x32), same layout and idioms as the full one.

        x -> features.0 (8) -> IR t1 (8) -> IR t6 (8->48->8, s2) -> IR t6 (8->48->8, residual)
          -> IR t6 (8->48->16, s2) -> IR t6 (16->96->16, residual) -> features.6 conv1x1 (64)
          -> GAP -> flatten -> Dropout -> Linear
    """
    setting = [[1, 8, 1, 1], [6, 8, 2, 2], [6, 16, 2, 2]]
    return MobileNetV2(num_classes, 0.25, setting=setting, last_channel=64)


# ------------------------------------------------------------------------------------------ SE blocks
class SqueezeExcite(nn.Module):
    """AdaptiveAvgPool -> 1x1 conv reduce -> ReLU -> 1x1 conv expand -> gate; returns x * gate."""

    def __init__(self, channels: int, squeeze: int, gate: type[nn.Module]) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.gate(self.fc2(self.relu(self.fc1(self.avgpool(x)))))
        return x * s


class SEInvertedResidual(nn.Module):
    """MobileNetV3 / EfficientNet block: expand -> depthwise -> SE -> project (+ residual)."""

    def __init__(self, cin: int, hidden: int, cout: int, stride: int,
                 act: type[nn.Module], gate: type[nn.Module]) -> None:
        super().__init__()
        self.expand = ConvBNAct(cin, hidden, 1, act=act)
        self.dw = ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=act)
        self.se = SqueezeExcite(hidden, max(4, hidden // 4), gate)
        self.project = ConvBNAct(hidden, cout, 1, act=None)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.se(self.dw(self.expand(x))))
        return x + out if self.use_res else out


@_reference(32)
def se_block_net(gate: str = "hardsigmoid", width: int = 16, num_classes: int = 10) -> nn.Module:
    """Squeeze-excitation network (input 1x3x32x32).

    gate="hardsigmoid": MobileNetV3 style (Hardswish blocks, Hardsigmoid gate);
    gate="sigmoid":     EfficientNet style (SiLU blocks, Sigmoid gate). Stem and head use Hardswish.

        x -> conv3x3/2-bn-hswish (w)
          -> [expand 1x1 (3w) -> dw3x3 -> SE -> project 1x1 (w)] + x
          -> [expand 1x1 (4w) -> dw3x3/2 -> SE -> project 1x1 (3w/2)]
          -> conv1x1-bn-hswish (4w) -> GAP -> flatten -> Linear
        SE: x -> GAP -> conv1x1 (reduce) -> ReLU -> conv1x1 (expand) -> gate --> (*) x
    """
    act, gate_cls = {"hardsigmoid": (nn.Hardswish, nn.Hardsigmoid), "sigmoid": (nn.SiLU, nn.Sigmoid)}[gate]
    w2 = width * 3 // 2
    return nn.Sequential(
        ConvBNAct(3, width, stride=2, act=nn.Hardswish),
        SEInvertedResidual(width, 3 * width, width, 1, act, gate_cls),
        SEInvertedResidual(width, 4 * width, w2, 2, act, gate_cls),
        ConvBNAct(w2, 4 * width, 1, act=nn.Hardswish),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, num_classes),
    )


# ------------------------------------------------------------------------------------------- DenseNet
class DenseLayer(nn.Module):
    """Pre-activation dense layer: cat(features) -> BN-ReLU-conv1x1 (4g) -> BN-ReLU-conv3x3 (g)."""

    def __init__(self, cin: int, growth: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, 4 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat(features, 1)
        x = self.conv1(F.relu(self.norm1(x)))
        return self.conv2(F.relu(self.norm2(x)))


class DenseBlock(nn.Module):
    """torchvision-style dense block: each layer sees torch.cat of all previous feature maps."""

    def __init__(self, cin: int, growth: int, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(cin + i * growth, growth) for i in range(num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


@_reference(32)
def densenet_tiny(growth: int = 4, num_classes: int = 10) -> nn.Module:
    """Tiny DenseNet (input 1x3x32x32).

        x -> conv3x3/2 (2g) -> dense block (3 layers, +g each: cat[x, y1], cat[x, y1, y2], ...)
          -> transition: BN-ReLU-conv1x1 (halve) -> avgpool2
          -> dense block (2 layers) -> BN-ReLU -> GAP -> flatten -> Linear
    BatchNorms here follow a Concat, not a Conv, so no exporter can fold them away.
    """
    c0 = 2 * growth
    c1 = c0 + 3 * growth
    c2 = c1 // 2
    c3 = c2 + 2 * growth
    return nn.Sequential(
        nn.Conv2d(3, c0, 3, 2, 1, bias=False),
        DenseBlock(c0, growth, 3),
        nn.Sequential(nn.BatchNorm2d(c1), nn.ReLU(inplace=True), nn.Conv2d(c1, c2, 1, bias=False),
                      nn.AvgPool2d(2)),
        DenseBlock(c2, growth, 2),
        nn.BatchNorm2d(c3), nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c3, num_classes),
    )


# ------------------------------------------------------------------------------------------- YOLO C2f
class YoloBottleneck(nn.Module):
    """YOLOv8 bottleneck: conv3x3 -> conv3x3 (+ x)."""

    def __init__(self, c: int, shortcut: bool = True) -> None:
        super().__init__()
        self.cv1 = ConvBNAct(c, c, 3, act=nn.SiLU)
        self.cv2 = ConvBNAct(c, c, 3, act=nn.SiLU)
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8 C2f: cv1 -> chunk(2) or split -> n bottlenecks on the last piece, all appended -> cat -> cv2."""

    def __init__(self, cin: int, cout: int, n: int = 2, shortcut: bool = True, split: str = "chunk") -> None:
        super().__init__()
        self.c = cout // 2
        self.split = split
        self.cv1 = ConvBNAct(cin, 2 * self.c, 1, act=nn.SiLU)
        self.cv2 = ConvBNAct((2 + n) * self.c, cout, 1, act=nn.SiLU)
        self.m = nn.ModuleList(YoloBottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.cv1(x)
        # ultralytics C2f.forward uses chunk; C2f.forward_split uses split with explicit sizes
        y = list(h.chunk(2, 1) if self.split == "chunk" else h.split((self.c, self.c), 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


@_reference(32)
def c2f_net(width: int = 8, num_outputs: int = 8, split: str = "chunk") -> nn.Module:
    """YOLOv8-style net around one C2f block (input 1x3x32x32), SiLU everywhere.

    ``split="chunk"`` splits with ``torch.chunk(2, dim=1)``, ``split="split"`` with
    ``torch.split((c, c), dim=1)`` (ultralytics' ``forward`` and ``forward_split``).

        x -> conv3x3/2 (w) -> conv3x3/2 (2w)
          -> C2f: cv1 1x1 (2w) -> chunk / split -> [a, b]
                  b -> bottleneck -> c -> bottleneck -> d      (each bottleneck: 2 conv3x3 + residual)
                  cat[a, b, c, d] (4w) -> cv2 1x1 (2w)
          -> conv1x1 head (num_outputs, with bias)
    """
    return nn.Sequential(
        ConvBNAct(3, width, 3, 2, act=nn.SiLU),
        ConvBNAct(width, 2 * width, 3, 2, act=nn.SiLU),
        C2f(2 * width, 2 * width, n=2, split=split),
        nn.Conv2d(2 * width, num_outputs, 1),
    )


# ------------------------------------------------------------------------------------------------ FPN
class FPNNet(nn.Module):
    """Three-scale backbone with an FPN top-down path; returns (P3, P4) after the 3x3 output convs."""

    def __init__(self, width: int, fpn: int) -> None:
        super().__init__()
        self.stem = ConvBNAct(3, width, stride=2)
        self.c3 = ConvBNAct(width, width, stride=2)
        self.c4 = ConvBNAct(width, 2 * width, stride=2)
        self.c5 = ConvBNAct(2 * width, 4 * width, stride=2)
        self.lat3 = nn.Conv2d(width, fpn, 1)
        self.lat4 = nn.Conv2d(2 * width, fpn, 1)
        self.lat5 = nn.Conv2d(4 * width, fpn, 1)
        self.out3 = nn.Conv2d(fpn, fpn, 3, 1, 1)
        self.out4 = nn.Conv2d(fpn, fpn, 3, 1, 1)
        for conv in (self.lat3, self.lat4, self.lat5, self.out3, self.out4):
            nn.init.xavier_uniform_(conv.weight)  # mmdet/detectron2 FPN init: zero biases
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c3 = self.c3(self.stem(x))
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p5 = self.lat5(c5)
        p4 = self.lat4(c4) + F.interpolate(p5, scale_factor=2, mode="nearest")
        p3 = self.lat3(c3) + F.interpolate(p4, scale_factor=2, mode="nearest")
        return self.out3(p3), self.out4(p4)


@_reference(32)
def fpn_net(width: int = 8, fpn: int = 8) -> nn.Module:
    """Small FPN (input 1x3x32x32), two outputs (P3 8x8, P4 4x4).

        x -> stem/2 -> C3 (w, 8x8) -> C4 (2w, 4x4) -> C5 (4w, 2x2)
        P5 = lat5(C5)                                 (1x1 conv, fpn)
        P4 = lat4(C4) + interpolate(P5, x2, nearest)  -> out4 3x3 -> output 1
        P3 = lat3(C3) + interpolate(P4, x2, nearest)  -> out3 3x3 -> output 0
    The FPN convs are initialised as in mmdet/detectron2 (xavier weights, zero biases): the five identical
    zero biases are what makes the legacy exporter share initializers behind Identity nodes.
    """
    return FPNNet(width, fpn)


# ------------------------------------------------------------------------------------------------ UNet
def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(ConvBNAct(cin, cout), ConvBNAct(cout, cout))


class UNetTiny(nn.Module):
    """Two-level UNet: maxpool encoder, ConvTranspose2d(k=2, s=2) decoder with torch.cat skips."""

    def __init__(self, width: int, num_classes: int) -> None:
        super().__init__()
        self.enc1 = _double_conv(3, width)
        self.enc2 = _double_conv(width, 2 * width)
        self.mid = _double_conv(2 * width, 4 * width)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, 2)
        self.dec2 = _double_conv(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, 2)
        self.dec1 = _double_conv(2 * width, width)
        self.head = nn.Conv2d(width, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


@_reference(16)
def unet_tiny(width: int = 4, num_classes: int = 2) -> nn.Module:
    """Tiny UNet (input 1x3x16x16), per-pixel logits.

        x -> enc1 (w) ------------------------------------------ cat -> dec1 (w) -> 1x1 head
              \\-> maxpool -> enc2 (2w) ------------ cat -> dec2 (2w) -> convT2x2/2 (w) --/
                              \\-> maxpool -> mid (4w) -> convT2x2/2 (2w) --/
    """
    return UNetTiny(width, num_classes)


# ----------------------------------------------------------------------------------------- GAP + MLP
@_reference(32)
def gap_gemm_head_net(width: int = 8, hidden: int = 32, num_classes: int = 10) -> nn.Module:
    """Conv stack with an MLP head (input 1x3x32x32).

        x -> cbr (w) -> cbr/2 (2w) -> cbr/2 (4w) -> GAP -> flatten -> Linear (hidden) -> ReLU -> Linear
    The hidden Linear width is a prunable channel space living entirely in Gemm ops.
    """
    return nn.Sequential(
        ConvBNAct(3, width), ConvBNAct(width, 2 * width, stride=2), ConvBNAct(2 * width, 4 * width, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(4 * width, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, num_classes),
    )


# ---------------------------------------------------------------------------------- ImageNet-size corpus
# Modest-size versions of common architecture families, for tools/corpus.py. Each runs in onnxruntime CPU
# (1 thread, batch 1) in well under 150 ms at its input size (see CORPUS_ARCHS).
class SqueezeExcitation(nn.Module):
    """torchvision SqueezeExcitation: GAP -> fc1 1x1 -> ``act`` -> fc2 1x1 -> ``gate``; returns x * gate."""

    def __init__(self, channels: int, squeeze: int, act: type[nn.Module], gate: type[nn.Module]) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.act = act()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.fc2(self.act(self.fc1(self.avgpool(x)))))


class MBConv(nn.Module):
    """Mobile inverted bottleneck: [1x1 expand] -> kxk depthwise -> [SE] -> 1x1 linear project [+ x].

    The expand conv is left out when ``hidden == cin`` (MobileNetV3's first block, EfficientNet's stage 1).
    ``se`` is ``(squeeze_channels, se_act, gate)`` or None.
    """

    def __init__(self, cin: int, hidden: int, cout: int, k: int, stride: int, act: type[nn.Module],
                 se: tuple[int, type[nn.Module], type[nn.Module]] | None) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        if hidden != cin:
            layers.append(ConvBNAct(cin, hidden, 1, act=act))
        layers.append(ConvBNAct(hidden, hidden, k, stride, groups=hidden, act=act))
        if se is not None:
            layers.append(SqueezeExcitation(hidden, *se))
        layers.append(ConvBNAct(hidden, cout, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_res else out


# (kernel, expanded, out, SE, activation, stride): torchvision's mobilenet_v3_small table
_MBV3_SMALL = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
               (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
               (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
               (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1)]


@_reference(224)
def mobilenetv3_small(num_classes: int = 1000, *, stem: int = 16,
                      setting: list[tuple[int, int, int, bool, str, int]] | None = None, head: int = 1024,
                      init: str = "torchvision") -> nn.Module:
    """MobileNetV3-Small, torchvision's layer table (input 1x3x224x224).

        x -> conv3x3/2-bn-hswish (stem: 16)
          -> 11 x MBConv (k3/k5, ReLU or Hardswish; SE: GAP -> 1x1 -> ReLU -> 1x1 -> Hardsigmoid -> (*) x)
          -> conv1x1-bn-hswish (6 x last: 576) -> GAP -> flatten -> Linear (head: 1024) -> Hardswish
          -> Dropout -> Linear
    ``setting`` replaces the block table (rows ``(kernel, expanded, out, SE, "RE" | "HS", stride)``, default
    torchvision's); ``init`` is "torchvision" or "default" (see :func:`_init_weights`).
    """
    acts = {"RE": nn.ReLU, "HS": nn.Hardswish}
    layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2, act=nn.Hardswish)]
    cin = stem
    for k, hidden, cout, use_se, act, stride in setting or _MBV3_SMALL:
        se = (_make_divisible(hidden // 4), nn.ReLU, nn.Hardsigmoid) if use_se else None
        layers.append(MBConv(cin, hidden, cout, k, stride, acts[act], se))
        cin = cout
    layers.append(ConvBNAct(cin, 6 * cin, 1, act=nn.Hardswish))
    classifier = nn.Sequential(nn.Linear(6 * cin, head), nn.Hardswish(), nn.Dropout(0.2),
                               nn.Linear(head, num_classes))
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(), classifier)
    _init_weights(model, init)
    return model


# (expand ratio, kernel, stride, out, repeats): EfficientNet-B0 stages, repeats reduced from 1-2-2-3-3-4-1
_EFFNET_B0_LIKE = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 2),
                   (6, 5, 1, 112, 2), (6, 5, 2, 192, 2), (6, 3, 1, 320, 1)]


@_reference(224)
def efficientnet_b0_like(num_classes: int = 1000, *, stem: int = 32,
                         setting: list[tuple[int, int, int, int, int]] | None = None, last_channel: int = 1280,
                         init: str = "torchvision") -> nn.Module:
    """EfficientNet-B0 widths and kernels at reduced depth (12 MBConv blocks), input 1x3x224x224.

        x -> conv3x3/2-bn-silu (stem: 32)
          -> MBConv blocks: [1x1 expand (6x) -> dw k3/k5 -> SE (GAP -> 1x1 (cin/4) -> SiLU -> 1x1 -> Sigmoid
             -> (*) x) -> 1x1 project] + x when shapes allow
          -> conv1x1-bn-silu (last_channel: 1280) -> GAP -> flatten -> Dropout -> Linear
    ``setting`` replaces the stage table (rows ``(expand ratio, kernel, stride, out, repeats)``);
    ``init`` is "torchvision" or "default" (see :func:`_init_weights`).
    """
    layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2, act=nn.SiLU)]
    cin = stem
    for expand, k, stride, cout, repeats in setting or _EFFNET_B0_LIKE:
        for i in range(repeats):
            se = (max(1, cin // 4), nn.SiLU, nn.Sigmoid)
            layers.append(MBConv(cin, cin * expand, cout, k, stride if i == 0 else 1, nn.SiLU, se))
            cin = cout
    layers.append(ConvBNAct(cin, last_channel, 1, act=nn.SiLU))
    head = nn.Sequential(nn.Dropout(0.2), nn.Linear(last_channel, num_classes))
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(), head)
    _init_weights(model, init)
    return model


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of an NCHW tensor: permute to NHWC -> nn.LayerNorm(C) -> back."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """dw7x7 -> NHWC -> LayerNorm -> Linear (4C) -> GELU -> Linear (C) -> * gamma -> NCHW -> + x."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        # layer scale: 1e-6 at init in the paper; random here so every block really changes the output
        self.gamma = nn.Parameter(torch.rand(dim) * 0.9 + 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        y = self.pwconv2(self.act(self.pwconv1(y))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


@_reference(224)
def convnext_like(dims: tuple[int, ...] = (48, 96, 192, 384), depths: tuple[int, ...] = (2, 2, 4, 2),
                  num_classes: int = 1000) -> nn.Module:
    """ConvNeXt at reduced width and depth (ConvNeXt-T: 96..768, 3-3-9-3), input 1x3x224x224.

        x -> conv4x4/4 -> LayerNorm2d                              (stem)
          -> stage 1: ConvNeXt blocks
          -> [LayerNorm2d -> conv2x2/2] -> stage 2 ... stage 4     (downsampling layers)
          -> GAP -> LayerNorm -> Linear
    LayerNorm2d is permute -> nn.LayerNorm -> permute; the blocks compute their MLP with Linear on NHWC.
    LayerNorm affine parameters are randomised (weight U(0.5, 1.5), bias N(0, 0.1)).
    """
    layers: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0]))]
    for i, (dim, depth) in enumerate(zip(dims, depths)):
        if i:
            layers.append(nn.Sequential(LayerNorm2d(dims[i - 1]), nn.Conv2d(dims[i - 1], dim, 2, 2)))
        layers.append(nn.Sequential(*(ConvNeXtBlock(dim) for _ in range(depth))))
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.LayerNorm(dims[-1], eps=1e-6), nn.Linear(dims[-1], num_classes))
    _randomize_layernorm(model)
    return model


def _randomize_layernorm(model: nn.Module) -> None:
    """Random LayerNorm affine parameters from the global RNG (the builder runs under a seeded fork)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand_like(m.weight) + 0.5)
                m.bias.copy_(torch.randn_like(m.bias) * 0.1)


class RegNetXBlock(nn.Module):
    """RegNetX bottleneck (ratio 1): 1x1 -> 3x3 grouped (group width ``gw``, stride) -> 1x1, + shortcut.

    The shortcut is a 1x1 conv + BN projection when the stride or the width changes.
    """

    def __init__(self, cin: int, cout: int, stride: int, gw: int) -> None:
        super().__init__()
        self.a = ConvBNAct(cin, cout, 1)
        self.b = ConvBNAct(cout, cout, 3, stride, groups=cout // gw)
        self.c = ConvBNAct(cout, cout, 1, act=None)
        self.proj = _projection(cin, cout, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.proj is None else self.proj(x)
        return self.relu(self.c(self.b(self.a(x))) + identity)


@_reference(224)
def regnet_like(widths: tuple[int, ...] = (24, 56, 152, 368), depths: tuple[int, ...] = (1, 1, 4, 7),
                group_width: int = 8, num_classes: int = 1000, *, stem: int = 32,
                init: str = "torchvision") -> nn.Module:
    """RegNetX-200MF layout (widths 24/56/152/368, depths 1/1/4/7, group width 8), input 1x3x224x224.

        x -> conv3x3/2-bn-relu (stem: 32)
          -> one stage per width of RegNetX blocks, the first of each with stride 2 and a projection shortcut:
             [1x1-bn-relu -> 3x3 grouped/s-bn-relu -> 1x1-bn] + shortcut -> relu
          -> GAP -> flatten -> Linear
    ``init`` is "torchvision" or "default" (see :func:`_init_weights`).
    """
    layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2)]
    cin = stem
    for width, depth in zip(widths, depths):
        layers.append(nn.Sequential(*(RegNetXBlock(cin if i == 0 else width, width, 2 if i == 0 else 1,
                                                   group_width) for i in range(depth))))
        cin = width
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(cin, num_classes))
    _init_weights(model, init)
    return model


@_reference(224)
def densenet_like(growth: int = 32, blocks: tuple[int, ...] = (6, 12, 8), init: int = 64,
                  num_classes: int = 1000) -> nn.Module:
    """DenseNet-121 layout with three dense blocks (6-12-8 layers, DenseNet-121: 6-12-24-16), 224x224.

        x -> conv7x7/2-bn-relu (64) -> maxpool3x3/2
          -> dense block (each layer: cat(all previous) -> BN-ReLU-conv1x1 (4g) -> BN-ReLU-conv3x3 (g))
          -> transition: BN-ReLU-conv1x1 (halve) -> avgpool2   (between blocks)
          -> BN-ReLU -> GAP -> flatten -> Linear
    """
    layers: list[nn.Module] = [nn.Conv2d(3, init, 7, 2, 3, bias=False), nn.BatchNorm2d(init),
                               nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    c = init
    for i, n in enumerate(blocks):
        layers.append(DenseBlock(c, growth, n))
        c += n * growth
        if i < len(blocks) - 1:
            layers.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                                        nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2)))
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
    model = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))
    _init_like_torchvision(model)
    return model


class SPPF(nn.Module):
    """YOLOv5/v8 SPPF: cv1 1x1 (c/2) -> three chained maxpool5x5/1 -> cat[x, y1, y2, y3] -> cv2 1x1."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        hidden = cin // 2
        self.cv1 = ConvBNAct(cin, hidden, 1, act=nn.SiLU)
        self.cv2 = ConvBNAct(4 * hidden, cout, 1, act=nn.SiLU)
        self.m = nn.MaxPool2d(5, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


class DetectBranch(nn.Module):
    """One YOLOv8 Detect level: box (3x3, 3x3, 1x1 -> 4*reg_max) and class (3x3, 3x3, 1x1 -> nc), cat."""

    def __init__(self, cin: int, c_box: int, c_cls: int, reg_max: int, nc: int) -> None:
        super().__init__()
        self.box = nn.Sequential(ConvBNAct(cin, c_box, 3, act=nn.SiLU), ConvBNAct(c_box, c_box, 3, act=nn.SiLU),
                                 nn.Conv2d(c_box, 4 * reg_max, 1))
        self.cls = nn.Sequential(ConvBNAct(cin, c_cls, 3, act=nn.SiLU), ConvBNAct(c_cls, c_cls, 3, act=nn.SiLU),
                                 nn.Conv2d(c_cls, nc, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.box(x), self.cls(x)], 1)


class YoloV8Like(nn.Module):
    """YOLOv8 backbone (conv/2 + C2f stages, SPPF), PAN neck (upsample + cat, conv/2 + cat) and 3 heads."""

    def __init__(self, w: tuple[int, ...], n: tuple[int, ...], nc: int, reg_max: int) -> None:
        super().__init__()
        c1, c2, c3, c4, c5 = w
        conv = functools.partial(ConvBNAct, k=3, stride=2, act=nn.SiLU)
        c2f = functools.partial(C2f, split="split")
        self.stem = nn.Sequential(conv(3, c1), conv(c1, c2), c2f(c2, c2, n[0]))
        self.p3 = nn.Sequential(conv(c2, c3), c2f(c3, c3, n[1]))
        self.p4 = nn.Sequential(conv(c3, c4), c2f(c4, c4, n[2]))
        self.p5 = nn.Sequential(conv(c4, c5), c2f(c5, c5, n[3]), SPPF(c5, c5))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4 = c2f(c5 + c4, c4, n[3], shortcut=False)
        self.td3 = c2f(c4 + c3, c3, n[3], shortcut=False)
        self.down3, self.bu4 = conv(c3, c3), c2f(c3 + c4, c4, n[3], shortcut=False)
        self.down4, self.bu5 = conv(c4, c4), c2f(c4 + c5, c5, n[3], shortcut=False)
        c_box, c_cls = max(16, c3 // 4, 4 * reg_max), max(c3, min(nc, 100))
        self.heads = nn.ModuleList(DetectBranch(c, c_box, c_cls, reg_max, nc) for c in (c3, c4, c5))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        p3 = self.p3(self.stem(x))
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        t4 = self.td4(torch.cat([self.up(p5), p4], 1))
        n3 = self.td3(torch.cat([self.up(t4), p3], 1))
        n4 = self.bu4(torch.cat([self.down3(n3), t4], 1))
        n5 = self.bu5(torch.cat([self.down4(n4), p5], 1))
        return tuple(head(f) for head, f in zip(self.heads, (n3, n4, n5)))


@_reference(320)
def yolov8_like(widths: tuple[int, ...] = (16, 32, 64, 128, 256), depths: tuple[int, ...] = (1, 2, 2, 1),
                num_classes: int = 80, reg_max: int = 16) -> nn.Module:
    """YOLOv8n layout (widths 16..256, C2f depths 1-2-2-1), input 1x3x320x320, three outputs.

        x -> conv/2 -> conv/2 -> C2f -> conv/2 -> C2f (P3) -> conv/2 -> C2f (P4) -> conv/2 -> C2f -> SPPF (P5)
        neck: up(P5) cat P4 -> C2f (T4); up(T4) cat P3 -> C2f (N3)
              conv/2(N3) cat T4 -> C2f (N4); conv/2(N4) cat P5 -> C2f (N5)
        heads on N3/N4/N5: cat[box branch (4*reg_max), class branch (nc)] -> outputs of 144 channels
    C2f splits with ``torch.split((c, c), 1)``; SPPF chains three maxpool5x5 and concatenates.
    """
    return YoloV8Like(widths, depths, num_classes, reg_max)


# ------------------------------------------------------------------------- small variants of the corpus
# The corpus layouts at fixture size (tests/fixtures): same blocks and export idioms, widths mostly >= 16 so
# the planner can reach 0.3 of the FLOPs, torch's default init so the logits are O(1), and BN statistics
# measured at the fixture's own input size.
_MBV3_SMALL_TINY = [(3, 16, 16, True, "RE", 2), (3, 48, 24, False, "RE", 2), (3, 64, 24, False, "RE", 1),
                    (5, 64, 32, True, "HS", 2), (5, 96, 32, True, "HS", 1)]


@_reference(32)
def mobilenetv3_small_tiny(num_classes: int = 10) -> nn.Module:
    """:func:`mobilenetv3_small` with 5 blocks (input 1x3x32x32).

        x -> conv3x3/2-bn-hswish (16)
          -> MBConv k3/2 ReLU, no expand (16), SE 16->8->16 (Hardsigmoid)
          -> MBConv k3/2 ReLU 16->48->24 -> MBConv k3 ReLU 24->64->24 (+ x)
          -> MBConv k5/2 Hardswish 24->64->32, SE -> MBConv k5 Hardswish 32->96->32, SE (+ x)
          -> conv1x1-bn-hswish (192) -> GAP -> flatten -> Linear (32) -> Hardswish -> Dropout -> Linear
    """
    return mobilenetv3_small.__wrapped__(num_classes, stem=16, setting=_MBV3_SMALL_TINY, head=32, init="default")


_EFFNET_B0_TINY = [(1, 3, 1, 16, 1), (4, 3, 2, 24, 2), (4, 5, 2, 32, 1)]


@_reference(32)
def efficientnet_b0_like_tiny(num_classes: int = 10) -> nn.Module:
    """:func:`efficientnet_b0_like` with 4 MBConv blocks and expand ratio 4 (input 1x3x32x32).

        x -> conv3x3/2-bn-silu (16)
          -> MBConv k3, no expand (16), SE 16->4->16 (Sigmoid) (+ x)
          -> MBConv k3/2 16->64->24, SE -> MBConv k3 24->96->24, SE (+ x)
          -> MBConv k5/2 24->96->32, SE
          -> conv1x1-bn-silu (64) -> GAP -> flatten -> Dropout -> Linear
    """
    return efficientnet_b0_like.__wrapped__(num_classes, stem=16, setting=_EFFNET_B0_TINY, last_channel=64,
                                            init="default")


@_reference(32)
def convnext_like_tiny(num_classes: int = 10) -> nn.Module:
    """:func:`convnext_like` with dims 32/48 and depths 2/1 (input 1x3x32x32).

        x -> conv4x4/4 (32, 8x8) -> LayerNorm2d -> 2 x ConvNeXt block (MLP 128)
          -> LayerNorm2d -> conv2x2/2 (48, 4x4) -> ConvNeXt block (MLP 192) -> GAP -> LayerNorm -> Linear
    Only the MLP hidden spaces are prunable: every LayerNorm pins the channels it normalises.
    """
    return convnext_like.__wrapped__(dims=(32, 48), depths=(2, 1), num_classes=num_classes)


@_reference(32)
def regnet_like_tiny(num_classes: int = 10) -> nn.Module:
    """:func:`regnet_like` with widths 16/32/48, depths 1/1/2, group width 8 (input 1x3x32x32).

        x -> conv3x3/2-bn-relu (16, 16x16)
          -> block/2 (16, 2 groups)  -> block/2 (32, 4 groups)  -> block/2 (48, 6 groups) -> block (48)
          -> GAP -> flatten -> Linear
    """
    return regnet_like.__wrapped__((16, 32, 48), (1, 1, 2), 8, num_classes, stem=16, init="default")


@_reference(64, batch=32, sequential=True)
def yolov8_like_tiny(num_classes: int = 8) -> nn.Module:
    """:func:`yolov8_like` with widths 16/16/16/16/32, C2f depths 1-1-1-1, reg_max 4 (input 1x3x64x64).

    Three outputs of 4 * 4 + 8 = 24 channels at 8x8, 4x4 and 2x2. This is deep for its size (57 BNs, the
    deepest level at 2x2), so BN statistics are measured layer by layer on a batch of 32
    (``randomize_bn(sequential=True)``). Measured all at once on 2 images, outputs reach ~1e3 and float32
    differs from float64 by ~1e-3; this way outputs stay below ~10 and that difference below ~2e-5.
    """
    return yolov8_like.__wrapped__((16, 16, 16, 16, 32), (1, 1, 1, 1), num_classes, reg_max=4)


# -------------------------------------------------------------------------------------------- registry
TINY_ARCHS: dict[str, tuple[Callable[..., nn.Module], dict, tuple[int, ...]]] = {
    "vgg": (vgg, {}, (1, 3, 32, 32)),
    "resnet_basic": (resnet_basic, {}, (1, 3, 32, 32)),
    "resnet_bottleneck": (resnet_bottleneck, {}, (1, 3, 32, 32)),
    "resnet56_cifar_w4": (resnet56_cifar, {"width": 4}, (1, 3, 32, 32)),
    "mobilenetv2_tiny": (mobilenetv2_tiny, {}, (1, 3, 32, 32)),
    "se_hardsigmoid": (se_block_net, {"gate": "hardsigmoid"}, (1, 3, 32, 32)),
    "se_sigmoid": (se_block_net, {"gate": "sigmoid"}, (1, 3, 32, 32)),
    "densenet_tiny": (densenet_tiny, {}, (1, 3, 32, 32)),
    "c2f_net": (c2f_net, {}, (1, 3, 32, 32)),
    "c2f_split_net": (c2f_net, {"split": "split"}, (1, 3, 32, 32)),
    "fpn_net": (fpn_net, {}, (1, 3, 32, 32)),
    "unet_tiny": (unet_tiny, {}, (1, 3, 16, 16)),
    "gap_gemm_head_net": (gap_gemm_head_net, {}, (1, 3, 32, 32)),
    "mobilenetv3_small_tiny": (mobilenetv3_small_tiny, {}, (1, 3, 32, 32)),
    "efficientnet_b0_like_tiny": (efficientnet_b0_like_tiny, {}, (1, 3, 32, 32)),
    "convnext_like_tiny": (convnext_like_tiny, {}, (1, 3, 32, 32)),
    "regnet_like_tiny": (regnet_like_tiny, {}, (1, 3, 32, 32)),
    "yolov8_like_tiny": (yolov8_like_tiny, {}, (1, 3, 64, 64)),
}


# Full-size architectures for tools/corpus.py: name -> (builder, kwargs, input_shape).
CORPUS_ARCHS: dict[str, tuple[Callable[..., nn.Module], dict, tuple[int, ...]]] = {
    "resnet50": (resnet50, {}, (1, 3, 224, 224)),
    "mobilenetv2": (mobilenetv2, {}, (1, 3, 224, 224)),
    "mobilenetv3_small": (mobilenetv3_small, {}, (1, 3, 224, 224)),
    "efficientnet_b0_like": (efficientnet_b0_like, {}, (1, 3, 224, 224)),
    "convnext_like": (convnext_like, {}, (1, 3, 224, 224)),
    "regnet_like": (regnet_like, {}, (1, 3, 224, 224)),
    "densenet_like": (densenet_like, {}, (1, 3, 224, 224)),
    "yolov8_like": (yolov8_like, {}, (1, 3, 320, 320)),
}
