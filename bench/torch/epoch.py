"""PyTorch's row of the epoch suite (bench/src/epoch.ts): one thread, float32, the same
8,000 digits, batch 128, SGD lr 0.05, dense LeNet5 (conv 1→20 5×5, pool, conv 20→50 5×5,
pool, fc 800→500, fc 500→10) and a 784-500-10 MLP, shuffled each epoch; training seconds of
each of 3 epochs. Usage: epoch.py DIR COUNT (DIR holds x.f32 [COUNT, 784] and y.i32)."""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
directory, count = sys.argv[1], int(sys.argv[2])
x = torch.from_numpy(np.fromfile(f'{directory}/x.f32', dtype=np.float32).reshape(count, 784))
y = torch.from_numpy(np.fromfile(f'{directory}/y.i32', dtype=np.int32).astype(np.int64))


def lenet5():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def mlp():
    return nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))


rows = []
for name, make in (('lenet5', lenet5), ('mlp 784-500-10', mlp)):
    model = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for epoch in range(3):
        order = torch.randperm(count)
        start = time.perf_counter()
        for i in range(0, count, 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - start)
    rows.append({'model': name, 'seconds': seconds})
print(json.dumps({'version': torch.__version__, 'rows': rows}))
