"""The PyTorch twin of @unetkit/unet's UNet, built from nn.Conv2d / nn.BatchNorm2d / nn.MaxPool2d /
nn.Upsample / nn.ConvTranspose2d with exactly unetkit's state-dict keys, so a .safetensors file
saved by either side loads into the other with strict key matching and gives the same logits.

    enc1.double_conv.conv1.weight, enc1.double_conv.bn1.running_var, ...   (enc1..encD)
    bottleneck.conv1.weight, bottleneck.bn2.bias, ...
    decD.up.weight (transposed mode), decD.att.* (attention), decD.double_conv.conv1.weight, ...
    out_conv.weight, out_conv.bias

Usage (Debian's python3-torch):  /usr/bin/python3 tools/unet_torch.py weights.safetensors [config.json]
prints the parameter count and, given an input, the logits.
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Module):
    """Conv3x3 -> BN -> ReLU -> Conv3x3 -> BN -> ReLU; without BN the convs carry a bias."""

    def __init__(self, cin, cout, batch_norm=True, padding="same"):
        super().__init__()
        pad = 1 if padding == "same" else 0
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=pad, bias=not batch_norm)
        if batch_norm:
            self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=pad, bias=not batch_norm)
        if batch_norm:
            self.bn2 = nn.BatchNorm2d(cout)
        self.batch_norm = batch_norm

    def forward(self, x):
        x = self.conv1(x)
        if self.batch_norm:
            x = self.bn1(x)
        x = F.relu(x)
        x = self.conv2(x)
        if self.batch_norm:
            x = self.bn2(x)
        return F.relu(x)


class EncoderBlock(nn.Module):
    def __init__(self, cin, cout, batch_norm=True, padding="same"):
        super().__init__()
        self.double_conv = DoubleConv(cin, cout, batch_norm, padding)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        skip = self.double_conv(x)
        return self.pool(skip), skip


class AttentionGate(nn.Module):
    """Attention U-Net's additive gate. g: the decoder signal (coarse, before upsampling), x: the
    skip. theta_x is a 1x1 conv with stride 2 on x (to g's resolution), phi_g a 1x1 conv on g,
    psi = sigmoid(conv1x1(relu(theta_x + phi_g))), resampled bilinearly (align_corners=False) to
    x's size; the output is x * psi."""

    def __init__(self, skip_ch, gate_ch, inter_ch):
        super().__init__()
        self.theta_x = nn.Conv2d(skip_ch, inter_ch, 1, stride=2, bias=False)
        self.phi_g = nn.Conv2d(gate_ch, inter_ch, 1, bias=True)
        self.psi = nn.Conv2d(inter_ch, 1, 1, bias=True)

    def forward(self, x, g):
        t = self.theta_x(x)
        p = self.phi_g(g)
        a = torch.sigmoid(self.psi(F.relu(t + p)))
        a = F.interpolate(a, size=x.shape[2:], mode="bilinear", align_corners=False)
        return x * a


def center_crop(t, h, w):
    dh = (t.shape[2] - h) // 2
    dw = (t.shape[3] - w) // 2
    return t[:, :, dh:dh + h, dw:dw + w]


class DecoderBlock(nn.Module):
    def __init__(self, cin, skip_ch, cout, upsample="nearest", batch_norm=True, padding="same",
                 attention=False):
        super().__init__()
        self.upsample = upsample
        if upsample == "transposed":
            # The paper's up-convolution: 2x2, stride 2, halving the channels (cin -> cout).
            self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        elif upsample == "bilinear":
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        else:
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.skip_ch = skip_ch
        if attention and skip_ch > 0:
            self.att = AttentionGate(skip_ch, cin, max(1, skip_ch // 2))
        else:
            self.att = None
        up_ch = cout if upsample == "transposed" else cin
        self.double_conv = DoubleConv(up_ch + skip_ch, cout, batch_norm, padding)

    def forward(self, x, skip):
        u = self.up(x)
        if self.skip_ch > 0:
            s = center_crop(skip, u.shape[2], u.shape[3])
            if self.att is not None:
                s = self.att(s, x)
            u = torch.cat([u, s], dim=1)
        return self.double_conv(u)


class UNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=3, base_channels=32, depth=2,
                 channel_multiplier=2, upsample="nearest", skip=True, batch_norm=True,
                 padding="same", attention=False):
        super().__init__()
        self.depth = depth
        chans = [base_channels * channel_multiplier ** i for i in range(depth + 1)]
        cin = in_channels
        for i in range(depth):
            setattr(self, f"enc{i + 1}", EncoderBlock(cin, chans[i], batch_norm, padding))
            cin = chans[i]
        self.bottleneck = DoubleConv(chans[depth - 1], chans[depth], batch_norm, padding)
        for i in reversed(range(depth)):
            setattr(self, f"dec{i + 1}", DecoderBlock(chans[i + 1], chans[i] if skip else 0, chans[i],
                                                      upsample, batch_norm, padding, attention))
        self.out_conv = nn.Conv2d(chans[0], num_classes, 1)

    def forward(self, x):
        skips = []
        for i in range(self.depth):
            x, s = getattr(self, f"enc{i + 1}")(x)
            skips.append(s)
        x = self.bottleneck(x)
        for i in reversed(range(self.depth)):
            x = getattr(self, f"dec{i + 1}")(x, skips[i])
        return self.out_conv(x)


# --- safetensors, by hand (no dependency): header length u64 LE, JSON header, raw LE data -------
_DT = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8)}


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        dt, size = _DT[v["dtype"]]
        a, b = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dt).reshape(v["shape"])
        out[k] = t.clone()
    return out


def save_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    off = 0
    for k, t in tensors.items():
        t = t.detach().contiguous().cpu()
        code = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[t.dtype]
        b = t.numpy().tobytes()
        header[k] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


if __name__ == "__main__":
    cfg = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
    model = UNet(**cfg)
    print("parameters:", sum(p.numel() for p in model.parameters()))
    if len(sys.argv) > 1:
        model.load_state_dict(load_safetensors(sys.argv[1]), strict=True)
        print("loaded", sys.argv[1], "with strict=True")
