import torch

from xlm_core.train.masking import IGNORE, MaskingConfig, mask_tokens

CFG = MaskingConfig(vocab_size=300, special_ids=(0, 1, 2), first_normal_id=4)


def _batch(g):
    ids = torch.randint(4, 299, (32, 64), generator=g)
    ids[:, 0], ids[:, -1] = 0, 2
    ids[:4, 40:] = 1  # padding
    return ids


def test_rates_over_many_batches():
    g = torch.Generator().manual_seed(0)
    n = targets = as_mask = as_random = kept = 0
    for _ in range(50):
        ids = _batch(g)
        out, labels = mask_tokens(ids, CFG, g)
        normal = (ids > 2)
        t = labels.ne(IGNORE)
        n += int(normal.sum())
        targets += int(t.sum())
        as_mask += int((out[t] == 299).sum())
        kept += int((out[t] == ids[t]).sum())
        as_random += int(((out[t] != 299) & (out[t] != ids[t])).sum())
    assert abs(targets / n - 0.15) < 0.005
    assert abs(as_mask / targets - 0.8) < 0.01
    # a random draw can hit the original token (1 in 295): both shares stay within tolerance
    assert abs(as_random / targets - 0.1) < 0.01
    assert abs(kept / targets - 0.1) < 0.01


def test_specials_never_masked_nor_inserted():
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        ids = _batch(g)
        out, labels = mask_tokens(ids, CFG, g)
        special = (ids <= 2)
        assert torch.equal(out[special], ids[special])
        assert labels[special].eq(IGNORE).all()
        # random replacements come from normal ids only
        changed = labels.ne(IGNORE) & out.ne(299) & out.ne(ids)
        assert (out[changed] >= 4).all() and (out[changed] < 299).all()


def test_labels_hold_the_original_ids():
    g = torch.Generator().manual_seed(2)
    ids = _batch(g)
    _, labels = mask_tokens(ids, CFG, g)
    t = labels.ne(IGNORE)
    assert torch.equal(labels[t], ids[t])


def test_same_seed_same_masks_other_seed_other_masks():
    ids = _batch(torch.Generator().manual_seed(3))
    a = mask_tokens(ids, CFG, torch.Generator().manual_seed(7))
    b = mask_tokens(ids, CFG, torch.Generator().manual_seed(7))
    c = mask_tokens(ids, CFG, torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
