"""PyTorch side of train_epochs (bench/train_epochs.h): the steady state of the main job.

tools/train's default model (conv 7x7 32 filters - spatial batch norm - relu - 2x2 max pool -
affine 100 - relu - affine 10, Kaiming init), Adam lr 1e-3 decayed by 0.8 per epoch, batch 64
sampled with replacement (torch.randint, as the Solver's Rng.choice), on the real
Fashion-MNIST training images preprocessed as tools/train does (the last 5000 held out, the
training split's mean image subtracted, scale 1/255, float32). Each epoch's training steps are
timed as one unit (no evaluation); after each epoch the subnormal floats in Adam's state
(optimizer.state: exp_avg, exp_avg_sq) are counted from their bits.

Two cases: "keep_denormals" (PyTorch's default) and "flush_denormals"
(torch.set_flush_denormal(True) for the case, then turned off again), as tapegrad's two.
torch.set_flush_denormal sets the flags of the calling thread only: with 2 threads, the
part of each parallel loop that OpenMP's other thread computes still makes and reads
subnormals (measured with torch 1.13: x * 1e-10 over 4M values of 1e-30 leaves half of them
subnormal), so PyTorch's flushed case is only partly flushed, as it is for its users.
"""

import gzip
import math
import os
import struct
import time

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
BATCH = 64
LEARNING_RATE = 1e-3
LR_DECAY = 0.8
VALIDATION = 5000
# tapegrad's names for the model's parameters and Adam's slots, so both sides' records match.
PARAMETER_NAMES = ["conv1.weight", "conv1.bias", "bn1.gamma", "bn1.beta", "fc2.weight", "fc2.bias",
                   "fc3.weight", "fc3.bias"]
SLOT_NAMES = {"exp_avg": "m", "exp_avg_sq": "v"}
CASES = [("flush_denormals", True), ("keep_denormals", False)]


def read_idx(path):
    """The bytes of an IDX file (plain, or path + ".gz") after the magic number: (dims, data)."""
    opener = open if os.path.exists(path) else gzip.open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    rank = magic & 0xff
    dims = struct.unpack(f">{rank}I", data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def training_split(torch, folder):
    """tools/train's training split: (images (N,1,28,28) float32, labels int64)."""
    (n, rows, cols), pixels = read_idx(os.path.join(folder, "train-images-idx3-ubyte"))
    (n_labels,), labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte"))
    if n != n_labels:
        raise ValueError(f"train_epochs: {n} training images but {n_labels} labels in {folder}")
    train = n - VALIDATION
    images = torch.frombuffer(bytearray(pixels), dtype=torch.uint8)[:train * rows * cols]
    images = images.reshape(train, 1, rows, cols).float()
    # As data/preprocess.cc: the mean summed in float64, then (pixel - mean) * scale in float32.
    mean = (images.sum(dim=0, dtype=torch.float64) / train).float()
    images = (images - mean) * torch.tensor(1.0 / 255.0, dtype=torch.float32)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8)[:train].long()
    return images.contiguous(), y


def main_job_model(torch, generator, image_shape):
    nn = torch.nn
    channels, height, width = image_shape
    layers = [nn.Conv2d(channels, 32, 7, stride=1, padding=3),
              nn.BatchNorm2d(32, eps=1e-5, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2, 2),
              nn.Flatten(), nn.Linear(32 * (height // 2) * (width // 2), 100), nn.ReLU(),
              nn.Linear(100, 10)]
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()  # C*KH*KW for conv, D_in for affine
                module.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
                module.bias.zero_()
    return model


def subnormals_of(torch, tensor):
    """Float32 values whose bits are subnormal (exponent 0, fraction not 0): integer
    operations, so flush-to-zero and denormals-are-zero cannot hide them."""
    bits = tensor.detach().contiguous().view(torch.int32)
    return int(((bits & 0x7f800000) == 0).logical_and((bits & 0x007fffff) != 0).sum())


def count_adam_subnormals(torch, model, optimizer):
    """(float32 values in Adam's state, subnormal ones, {"fc2.weight/m": count, ...})."""
    values, subnormal, by_slot = 0, 0, {}
    for name, parameter in zip(PARAMETER_NAMES, model.parameters()):
        for slot, tensor in optimizer.state[parameter].items():
            if slot not in SLOT_NAMES:
                continue  # the step count
            count = subnormals_of(torch, tensor)
            values += tensor.numel()
            subnormal += count
            by_slot[f"{name}/{SLOT_NAMES[slot]}"] = count
    return values, subnormal, dict(sorted(by_slot.items()))


def run_case(torch, case, flush, data, images, labels, epochs, iterations, cpu_sample, emit):
    F = torch.nn.functional
    generator = torch.Generator().manual_seed(1)
    model = main_job_model(torch, generator, tuple(images.shape[1:]))
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999),
                                 eps=1e-8)
    sampler = torch.Generator().manual_seed(0)
    n = images.shape[0]
    epoch_s, subnormals, windows = [], [], []
    loss = None
    if not torch.set_flush_denormal(flush) and flush:  # False: no SSE3
        raise RuntimeError("train_epochs: torch.set_flush_denormal(True) is not supported here")
    try:
        for epoch in range(epochs):
            for group in optimizer.param_groups:  # the Solver's step schedule
                group["lr"] = LEARNING_RATE * LR_DECAY ** epoch
            before = cpu_sample()
            for _ in range(iterations):
                rows = torch.randint(0, n, (BATCH,), generator=sampler)
                optimizer.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(images[rows]), labels[rows])
                loss.backward()
                optimizer.step()
            after = cpu_sample()
            epoch_s.append(after[0] - before[0])
            windows.append((before, after))
            values, subnormal, by_slot = count_adam_subnormals(torch, model, optimizer)
            subnormals.append(subnormal)
    finally:
        torch.set_flush_denormal(False)
    fields = {"case": case, "flush_denormals": flush, "data": data, "train_images": n, "N": BATCH,
              "epochs": epochs, "iterations_per_epoch": iterations,
              "epoch_s": [round(s, 3) for s in epoch_s],
              "epoch_images_per_s": [round(BATCH * iterations / s, 1) for s in epoch_s]}
    if epochs >= 2:
        fields["last_over_second"] = round(epoch_s[1] / epoch_s[-1], 4)
    fields.update({"adam_state_values": values, "adam_subnormals": subnormals,
                   "adam_subnormals_by_slot": by_slot,
                   "lr_last": optimizer.param_groups[0]["lr"],
                   "final_loss": round(loss.item(), 5)})
    emit(fields, windows)


def run_train_epochs(torch, epochs, iterations_per_epoch, data_dir, case_filter, cpu_sample,
                     emit):
    """emit(fields, [(before, after) cpu samples per epoch]) prints one record per case."""
    if epochs < 1:
        raise ValueError("train_epochs: needs epochs >= 1")
    data = data_dir or FASHION_MNIST
    images, labels = training_split(torch, data)
    # A whole epoch is what the Solver counts: training images / batch (859).
    iterations = iterations_per_epoch or max(images.shape[0] // BATCH, 1)
    for case, flush in CASES:
        if not case_filter or case_filter in case:
            run_case(torch, case, flush, data, images, labels, epochs, iterations, cpu_sample,
                     emit)
