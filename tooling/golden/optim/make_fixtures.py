#!/usr/bin/python3
"""Golden trajectories for @wordloom/optim from torch.optim and torch.optim.lr_scheduler.

Every case starts from the same parameters and feeds the same stored gradient sequence (200 steps) to a
torch optimizer (and scheduler); we record the parameters at a few steps and the learning rate used at
every step. The TypeScript test replays the same gradients through our optimizers and compares.

Run:  /usr/bin/python3 tooling/golden/optim/make_fixtures.py
Writes packages/optim/test/fixtures/torch-optim.json (~60 KB).
"""
import base64
import json
import math
import os
import sys

import numpy as np
import torch

STEPS = 200
SNAPSHOTS = [1, 2, 3, 5, 10, 20, 50, 100, 150, 200]
SEED = 20240607

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', '..', 'packages', 'optim', 'test', 'fixtures', 'torch-optim.json')

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(SEED)

# Parameter names as a small model's state_dict would have them; shapes kept tiny.
SHAPES = [('encoder.weight', [4, 3]), ('encoder.bias', [4]), ('norm.weight', [3]), ('embed.weight', [5, 2])]
# Gradient scale per parameter: mixed magnitudes exercise eps placement (1e-3) and large steps (10).
SCALES = {'encoder.weight': 1.0, 'encoder.bias': 1e-3, 'norm.weight': 10.0, 'embed.weight': 0.5}


def f64b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode('ascii')


def f32b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype='<f4').tobytes()).decode('ascii')


params0 = {n: torch.randn(s, generator=gen) for n, s in SHAPES}
grads = []
for t in range(STEPS):
    g = {}
    for n, s in SHAPES:
        x = torch.randn(s, generator=gen) * SCALES[n] + 0.3 * SCALES[n]  # a drift so parameters travel
        if n == 'embed.weight':
            # Embedding rows not looked up in a batch get exactly zero gradient.
            rows = torch.rand(s[0], generator=gen) < 0.4
            x[rows] = 0.0
        g[n] = x.float()
    grads.append(g)

# A validation metric with a descent, a plateau, a small improvement, and a NaN (a bad epoch in torch).
metric = []
for t in range(STEPS):
    if t < 40:
        m = 1.0 - 0.01 * t
    elif t < 90:
        m = 0.6 + 0.0001 * math.sin(t)
    elif t < 100:
        m = 0.55 - 0.002 * (t - 90)
    else:
        m = 0.53 + 0.001 * ((t * 7) % 5)
    metric.append(float('nan') if t == 120 else m)


def is_nodecay(name):
    return name.endswith('.bias') or name.startswith('norm.') or name.startswith('embed.')


def run(case):
    params = {n: torch.nn.Parameter(params0[n].clone()) for n, _ in SHAPES}
    plist = [params[n] for n, _ in SHAPES]
    opt_name, okw = case['torch']['optimizer']
    cls = getattr(torch.optim, opt_name)
    if case['torch'].get('groups'):
        g1 = [params[n] for n, _ in SHAPES if not is_nodecay(n)]
        g2 = [params[n] for n, _ in SHAPES if is_nodecay(n)]
        opt = cls([{'params': g1}, dict(params=g2, **case['torch']['groups'])], **okw)
    else:
        opt = cls(plist, **okw)
    sched = None
    sk = case['torch'].get('scheduler')
    if sk is not None:
        kind, kw = sk
        S = torch.optim.lr_scheduler
        if kind == 'SequentialLR':
            subs = [getattr(S, k)(opt, **a) for k, a in kw['schedulers']]
            sched = S.SequentialLR(opt, subs, milestones=kw['milestones'])
        elif kind == 'LambdaLR':
            d, w = kw['dModel'], kw['warmup']
            sched = S.LambdaLR(opt, lambda t: d ** -0.5 * min((t + 1) ** -0.5, (t + 1) * w ** -1.5))
        else:
            sched = getattr(S, kind)(opt, **kw)
    snaps, lrs = [], []
    for t in range(STEPS):
        for n, _ in SHAPES:
            params[n].grad = grads[t][n].clone()
        if 'clip_norm' in case['torch']:
            torch.nn.utils.clip_grad_norm_(plist, case['torch']['clip_norm'])
        if 'clip_value' in case['torch']:
            torch.nn.utils.clip_grad_value_(plist, case['torch']['clip_value'])
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        if sched is not None:
            if sk[0] == 'ReduceLROnPlateau':
                sched.step(metric[t])
            else:
                sched.step()
        if t + 1 in SNAPSHOTS:
            snaps.append(np.concatenate([params[n].detach().numpy().ravel() for n, _ in SHAPES]))
    return {'params': f32b64(np.stack(snaps)), 'lrs': lrs}


# Each case: how torch runs it, and the options of ours (read by the TypeScript test).
CASES = [
    dict(id='sgd', ours=dict(optimizer='sgd', lr=0.05), torch=dict(optimizer=('SGD', dict(lr=0.05)))),
    dict(id='sgd-momentum-dampening-wd',
         ours=dict(optimizer='sgd', lr=0.05, momentum=0.9, dampening=0.1, weightDecay=0.01),
         torch=dict(optimizer=('SGD', dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)))),
    dict(id='sgd-nesterov-wd',
         ours=dict(optimizer='sgd', lr=0.05, momentum=0.9, nesterov=True, weightDecay=1e-3),
         torch=dict(optimizer=('SGD', dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)))),
    dict(id='sgd-maximize',
         ours=dict(optimizer='sgd', lr=0.01, momentum=0.5, maximize=True),
         torch=dict(optimizer=('SGD', dict(lr=0.01, momentum=0.5, maximize=True)))),
    dict(id='adam', ours=dict(optimizer='adam', lr=1e-2), torch=dict(optimizer=('Adam', dict(lr=1e-2)))),
    dict(id='adam-amsgrad-wd',
         ours=dict(optimizer='adam', lr=1e-2, betas=[0.8, 0.99], eps=1e-6, weightDecay=0.05, amsgrad=True),
         torch=dict(optimizer=('Adam', dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True)))),
    dict(id='adamw', ours=dict(optimizer='adamw', lr=1e-2, weightDecay=0.1),
         torch=dict(optimizer=('AdamW', dict(lr=1e-2, weight_decay=0.1)))),
    dict(id='adamw-amsgrad', ours=dict(optimizer='adamw', lr=3e-3, amsgrad=True),
         torch=dict(optimizer=('AdamW', dict(lr=3e-3, amsgrad=True)))),
    dict(id='adamw-groups',
         ours=dict(optimizer='adamw', lr=1e-2, weightDecay=0.1, groups=[dict(match='nodecay', weightDecay=0, lr=5e-3)]),
         torch=dict(optimizer=('AdamW', dict(lr=1e-2, weight_decay=0.1)), groups=dict(weight_decay=0.0, lr=5e-3))),
    dict(id='adagrad', ours=dict(optimizer='adagrad', lr=0.1), torch=dict(optimizer=('Adagrad', dict(lr=0.1)))),
    dict(id='adagrad-full',
         ours=dict(optimizer='adagrad', lr=0.1, lrDecay=0.01, weightDecay=0.01, initialAccumulatorValue=0.1, eps=1e-8),
         torch=dict(optimizer=('Adagrad', dict(lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                               initial_accumulator_value=0.1, eps=1e-8)))),
    dict(id='rmsprop', ours=dict(optimizer='rmsprop', lr=1e-2), torch=dict(optimizer=('RMSprop', dict(lr=1e-2)))),
    dict(id='rmsprop-centered-momentum-wd',
         ours=dict(optimizer='rmsprop', lr=1e-3, alpha=0.9, centered=True, momentum=0.9, weightDecay=0.01),
         torch=dict(optimizer=('RMSprop', dict(lr=1e-3, alpha=0.9, centered=True, momentum=0.9, weight_decay=0.01)))),
    dict(id='sgd-clip-norm', ours=dict(optimizer='sgd', lr=0.05, momentum=0.9, clipNorm=1.0),
         torch=dict(optimizer=('SGD', dict(lr=0.05, momentum=0.9)), clip_norm=1.0)),
    dict(id='adam-clip-value', ours=dict(optimizer='adam', lr=1e-2, clipValue=0.5),
         torch=dict(optimizer=('Adam', dict(lr=1e-2)), clip_value=0.5)),
    # Schedules, driving SGD with momentum (base lr 0.1) unless noted.
    dict(id='schedule-step', ours=dict(optimizer='sgd', momentum=0.9, schedule=dict(kind='step', lr=0.1, stepSize=30, gamma=0.5)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)), scheduler=('StepLR', dict(step_size=30, gamma=0.5)))),
    dict(id='schedule-multistep',
         ours=dict(optimizer='sgd', momentum=0.9, schedule=dict(kind='multiStep', lr=0.1, milestones=[50, 120, 120], gamma=0.3)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('MultiStepLR', dict(milestones=[50, 120, 120], gamma=0.3)))),
    dict(id='schedule-exponential', ours=dict(optimizer='sgd', momentum=0.9, schedule=dict(kind='exponential', lr=0.1, gamma=0.98)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)), scheduler=('ExponentialLR', dict(gamma=0.98)))),
    dict(id='schedule-linear-warmup',
         ours=dict(optimizer='sgd', momentum=0.9, schedule=dict(kind='linear', init=0.01, end=0.1, steps=50)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('LinearLR', dict(start_factor=0.1, end_factor=1.0, total_iters=50)))),
    dict(id='schedule-warmup-cosine',
         ours=dict(optimizer='sgd', momentum=0.9,
                   schedule=dict(kind='warmupCosine', peak=0.1, warmupSteps=20, totalSteps=200, init=1e-3, end=1e-3)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('SequentialLR', dict(milestones=[20], schedulers=[
                        ('LinearLR', dict(start_factor=0.01, end_factor=1.0, total_iters=20)),
                        ('CosineAnnealingLR', dict(T_max=180, eta_min=1e-3))])))),
    dict(id='schedule-warmup-linear',
         ours=dict(optimizer='sgd', momentum=0.9,
                   schedule=dict(kind='warmupLinear', peak=0.1, warmupSteps=20, totalSteps=200, init=1e-3, end=1e-3)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('SequentialLR', dict(milestones=[20], schedulers=[
                        ('LinearLR', dict(start_factor=0.01, end_factor=1.0, total_iters=20)),
                        ('LinearLR', dict(start_factor=1.0, end_factor=0.01, total_iters=180))])))),
    dict(id='schedule-inverse-sqrt',
         ours=dict(optimizer='adam', schedule=dict(kind='inverseSqrt', dModel=64, warmupSteps=40)),
         torch=dict(optimizer=('Adam', dict(lr=1.0)), scheduler=('LambdaLR', dict(dModel=64, warmup=40)))),
    dict(id='schedule-plateau',
         ours=dict(optimizer='sgd', momentum=0.9,
                   plateau=dict(lr=0.1, factor=0.5, patience=5, cooldown=3, threshold=1e-3)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('ReduceLROnPlateau', dict(factor=0.5, patience=5, cooldown=3, threshold=1e-3)))),
    dict(id='schedule-plateau-max-abs',
         ours=dict(optimizer='sgd', momentum=0.9, plateau=dict(lr=0.1, mode='max', thresholdMode='abs', threshold=0.01,
                                                                patience=3, factor=0.7, minLr=0.02)),
         torch=dict(optimizer=('SGD', dict(lr=0.1, momentum=0.9)),
                    scheduler=('ReduceLROnPlateau', dict(mode='max', threshold_mode='abs', threshold=0.01,
                                                         patience=3, factor=0.7, min_lr=0.02)))),
]

out = {
    'source': 'torch.optim / torch.optim.lr_scheduler via tooling/golden/optim/make_fixtures.py',
    'torch': torch.__version__,
    'seed': SEED,
    'steps': STEPS,
    'snapshots': SNAPSHOTS,
    'shapes': [[n, s] for n, s in SHAPES],
    'params0': f32b64(np.concatenate([params0[n].numpy().ravel() for n, _ in SHAPES])),
    'grads': f32b64(np.stack([np.concatenate([g[n].numpy().ravel() for n, _ in SHAPES]) for g in grads])),
    'metric': [None if math.isnan(m) else m for m in metric],
    'cases': [],
}
for case in CASES:
    r = run(case)
    entry = {'id': case['id'], 'ours': case['ours'], 'params': r['params']}
    if 'scheduler' in case['torch']:
        entry['lrs'] = f64b64(r['lrs'])  # float64: the learning rate torch used at each step
    out['cases'].append(entry)
    print(case['id'], 'done', file=sys.stderr)

with open(OUT, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
print(json.dumps({'wrote': os.path.relpath(OUT), 'bytes': os.path.getsize(OUT), 'cases': len(CASES)}))
