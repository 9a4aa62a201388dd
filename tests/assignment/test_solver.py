"""The provided Solver: argument checking and overfitting a small set."""

import numpy as np
import pytest

from assignment.reference import optim
from assignment.reference.cnn import ThreeLayerConvNet
from assignment.solver import Solver


def _small_data(rng, n=50, shape=(3, 16, 16)):
    X = rng.standard_normal((n, *shape))
    y = rng.integers(10, size=n)
    # Validating on the training set makes best_params the best *training* parameters.
    return {"X_train": X, "y_train": y, "X_val": X, "y_val": y}


def test_unknown_keyword_is_named():
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=4)
    data = _small_data(np.random.default_rng(0), shape=(3, 8, 8))
    with pytest.raises(ValueError, match="learning_rate"):
        Solver(model, data, learning_rate=1e-3)


def test_unknown_update_rule_is_named():
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=4)
    data = _small_data(np.random.default_rng(0), shape=(3, 8, 8))
    with pytest.raises(ValueError, match="adamw"):
        Solver(model, data, update_rule="adamw")


def test_update_rule_resolves_to_the_models_own_optim_module():
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=4)
    data = _small_data(np.random.default_rng(0), shape=(3, 8, 8))
    assert Solver(model, data, update_rule="adam").update_rule is optim.adam


def test_overfits_fifty_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(231)
    np.random.seed(231)
    data = _small_data(rng)
    model = ThreeLayerConvNet(input_dim=(3, 16, 16), num_filters=8, filter_size=3,
                              hidden_dim=50, weight_scale=1e-2, dtype=np.float64)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 5e-3},
                    lr_decay=0.99, batch_size=25, num_epochs=30, verbose=False, seed=0,
                    checkpoint_name="ckpt")
    solver.train()
    train_acc = solver.check_accuracy(data["X_train"], data["y_train"])
    assert train_acc >= 0.9, train_acc
    assert len(solver.loss_history) == 60
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 31
    assert (tmp_path / "ckpt_epoch_30.pkl").is_file()
    assert solver.loss_history[-1] < solver.loss_history[0]
    lr = solver.optim_configs["W1"]["learning_rate"]
    assert abs(lr - 5e-3 * 0.99**30) < 1e-12
