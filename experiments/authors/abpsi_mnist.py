"""The abPSI/GeoLoRA MNIST code of Kusch, Schotthöfer & Walter (github.com/ScSteffen/
Publication-Augmented-Backward-Corrected-PSI-low-rank-training, MNISTwithGeoLoRA/), run as it
is on our 8,000/2,000 split: its Trainer, layers and step order, its settings (SGD lr 0.01,
batch 64, tol 0.01, initial rank 20, inputs (x - 0.1307)/0.3081), one seed, one thread.

Usage: abpsi_mnist.py CODE SPLIT NET METHOD SEED EPOCHS
                      [--first-k-core | --lockstep MODEL STEPS]
  CODE: a checkout of that repository; SPLIT: a directory with {train,test}-x.f32 and
  {train,test}-y.i32 (written by experiments/src/mlp-authors.ts); NET: 2x500 or 4x500;
  METHOD: abpsi or geolora. Prints one JSON object: per-epoch test accuracy, loss and ranks,
  or the error that stopped the run.
  --first-k-core (abPSI): build the first K from the weight's own r×r core (the code builds it
  from all 249 stored columns, so that its first pass alone sees another weight).
  --lockstep: instead, write the initial weights to MODEL (safetensors, in dlrt's names and
  orientation), take STEPS steps of the code's own passes (abPSI: K and L; GeoLoRA: one) on
  the first batches in order, and print the first pass's loss of each, for dlrt to take the
  same steps from the same weights (abPSI with --first-k-core's change)."""
import json
import sys
import time
import types

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

code, split, net, method, seed, epochs = sys.argv[1:7]
seed, epochs = int(seed), int(epochs)
lockstep = sys.argv[8:10] if sys.argv[7:8] == ['--lockstep'] else None
first_k_core = method == 'abpsi' and (lockstep is not None or sys.argv[7:8] == ['--first-k-core'])
sys.path.insert(0, f'{code}/MNISTwithGeoLoRA')
sys.modules['wandb'] = types.ModuleType('wandb')   # imported by the trainer, used only if asked
from src.low_rank_neural_networks.train import Trainer  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(seed)


def digits(part, batch, shuffle):
    x = np.fromfile(f'{split}/{part}-x.f32', dtype=np.float32).reshape(-1, 1, 28, 28)
    y = np.fromfile(f'{split}/{part}-y.i32', dtype=np.int32).astype(np.int64)
    data = TensorDataset(torch.from_numpy((x - 0.1307) / 0.3081), torch.from_numpy(y))
    return DataLoader(data, batch_size=batch, shuffle=shuffle)


# The layer types and trainer modes of the code's main.py for these architectures.
layer, integrator = {'abpsi': ('PSI_Augmented_Backward_dynamical_low_rank',
                               'PSI_Augmented_Backward'),
                     'geolora': ('GeoLoRA', 'GeoLoRA')}[method]
dims = [[784, 500]] + [[500, 500]] * {'2x500': 1, '4x500': 3}[net]
architecture = [{'type': layer, 'dims': d, 'rank': 20, 'tol': 0.01} for d in dims]
architecture.append({'type': 'dense', 'dims': [500, 10]})
trainer = Trainer(architecture, digits('train', 64, True), digits('test', 64, False), integrator)


def write_model(model, path, r=20):
    """The net as a dlrt model file: our U is the code's output-side V, our V its U, S the
    transpose; dense weights are stored out × in."""
    tensors = {}
    for i, layer in enumerate(model.layers):
        tensors.update({f'{2 * i + 1}.U': layer.V[:, :r], f'{2 * i + 1}.S': layer.S[:r, :r].T,
                        f'{2 * i + 1}.V': layer.U[:, :r], f'{2 * i + 1}.bias': layer.bias})
    n = 2 * len(model.layers) + 1
    tensors.update({f'{n}.weight': model.out.W.T, f'{n}.bias': model.out.bias})
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = {'dlrt.ranks': json.dumps(
        {str(2 * i + 1): [r, r] for i in range(len(model.layers))})}
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(len(text).to_bytes(8, 'little') + text + b''.join(blobs))


if first_k_core:
    for layer in trainer.model.layers:
        layer.K.data[:, :20] = layer.U[:, :20] @ layer.S[:20, :20]

if lockstep:
    path, steps = lockstep[0], int(lockstep[1])
    model = trainer.model
    write_model(model, path)
    criterion, optimizer = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01)
    train = digits('train', 64, False)
    losses = []
    for _, (data, targets) in zip(range(steps), train):
        for mode in {'abpsi': ['K', 'L'], 'geolora': ['KSL']}[method]:   # the trainer's loop
            loss = criterion(model.forward(data, mode), targets)
            optimizer.zero_grad()
            loss.backward()
            model.step(0.01, mode)
            if mode != 'L':
                losses.append(loss.item())
    print(json.dumps({'torch': torch.__version__, 'losses': losses,
                      'ranks': [int(r) for r in model.get_ranks()]}))
    sys.exit(0)

log = []
test_model = trainer.test_model


def record(epoch, num_epochs, ranks='nra'):
    accuracy, loss = test_model(epoch, num_epochs, ranks)
    log.append({'epoch': epoch + 1, 'testAccuracy': accuracy / 100, 'testLoss': loss,
                'ranks': [int(r) for r in ranks], 'elapsedSeconds': time.perf_counter() - start})
    return accuracy, loss


trainer.test_model = record
# The trainer's args: its optimizer (used only to zero gradients), the architecture name it
# reads for logging (4 ranks for a '_4layer' net), no wandb.
args = types.SimpleNamespace(optimizer='SGD', wandb=0,
                             architecture='x_architecture' + ('_4layer' if net == '4x500' else ''))
out = {'torch': torch.__version__, 'python': sys.version.split()[0], 'epochs': log}
start = time.perf_counter()
sys.stdout, real = sys.stderr, sys.stdout   # the trainer prints its progress
try:
    trainer.train(epochs, 0.01, integrator, args)
except Exception as e:   # a run that diverges ends in an SVD of non-finite values
    out['error'] = f'{type(e).__name__}: {str(e).splitlines()[0]}'
sys.stdout = real
print(json.dumps(out))
