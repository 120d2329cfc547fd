"""The five autograd tutorials, run as their readers run them.

Values are the ones the tutorials derive; printed strings are what current
PyTorch prints for the same code (the tutorials' older spellings, such as
``tensor([ 2., 2.])`` or ``MeanBackward1``, predate today's formatting).
"""

import numpy as np
import pytest

import ferrograd as torch


def values(t):
    return np.array(t.tolist(), dtype=np.float64)


# --- "Gradients in PyTorch" (Deep Reinforcement Learning Hands-On) ---------

def lapan_session():
    v1 = torch.tensor([1.0, 1.0], requires_grad=True)
    v2 = torch.tensor([2.0, 2.0])
    v_sum = v1 + v2
    v_res = (v_sum * 2).sum()
    return v1, v2, v_sum, v_res


def test_lapan_forward_value():
    _, _, v_sum, v_res = lapan_session()
    assert v_sum.tolist() == [3.0, 3.0]
    assert v_res.item() == 12.0
    assert v_res.dim() == 0
    assert repr(v_res) == "tensor(12., grad_fn=<SumBackward0>)"


def test_lapan_leaves_and_requires_grad():
    v1, v2, v_sum, v_res = lapan_session()
    assert (v1.is_leaf, v2.is_leaf) == (True, True)
    assert (v_sum.is_leaf, v_res.is_leaf) == (False, False)
    assert v1.requires_grad is True
    assert v2.requires_grad is False
    assert v_sum.requires_grad is True
    assert v_res.requires_grad is True


def test_lapan_backward():
    v1, v2, _, v_res = lapan_session()
    assert v1.grad is None
    v_res.backward()
    assert v1.grad.tolist() == [2.0, 2.0]
    assert repr(v1.grad) == "tensor([2., 2.])"
    assert v2.grad is None


# --- "PyTorch Gradients" (course notebook) -----------------------------------

def test_polynomial_value_and_print(capsys):
    x = torch.tensor(2.0, requires_grad=True)
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    print(y)
    assert capsys.readouterr().out == "tensor(63., grad_fn=<AddBackward0>)\n"
    assert y.item() == 63.0
    assert y.grad_fn is not None


def test_polynomial_gradient(capsys):
    x = torch.tensor(2.0, requires_grad=True)
    y = 2 * x**4 + x**3 + 3 * x**2 + 5 * x + 1
    y.backward()
    print(x.grad)
    assert capsys.readouterr().out == "tensor(93.)\n"
    assert x.grad.item() == 93.0


def multi_step():
    x = torch.tensor([[1., 2, 3], [3, 2, 1]], requires_grad=True)
    y = 3 * x + 2
    z = 2 * y**2
    out = z.mean()
    return x, y, z, out


def test_multi_step_prints():
    x, y, z, out = multi_step()
    assert str(x) == ("tensor([[1., 2., 3.],\n"
                      "        [3., 2., 1.]], requires_grad=True)")
    assert str(y) == ("tensor([[ 5.,  8., 11.],\n"
                      "        [11.,  8.,  5.]], grad_fn=<AddBackward0>)")
    assert str(z) == ("tensor([[ 50., 128., 242.],\n"
                      "        [242., 128.,  50.]], grad_fn=<MulBackward0>)")
    assert str(out) == "tensor(140., grad_fn=<MeanBackward0>)"


def test_multi_step_gradient():
    x, _, _, out = multi_step()
    out.backward()
    assert x.grad.tolist() == [[10., 16., 22.], [22., 16., 10.]]
    assert str(x.grad) == ("tensor([[10., 16., 22.],\n"
                           "        [22., 16., 10.]])")
    # d out / d x_i = (1/6) * 12 * (3 x_i + 2)
    np.testing.assert_allclose(values(x.grad), 2 * (3 * values(x) + 2))


def test_turn_off_tracking_with_requires_grad_():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad_(False) is x
    assert not x.requires_grad
    assert not (x * 2).requires_grad
    x.requires_grad_(True)
    assert x.requires_grad
    assert (x * 2).requires_grad


def test_turn_off_tracking_with_no_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = x * 2
    assert not y.requires_grad
    assert y.grad_fn is None
    assert (x * 2).requires_grad


def test_turn_off_tracking_with_detach():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    assert d.grad_fn is None
    assert not (d * 2).requires_grad
    assert d.tolist() == x.tolist()


# --- "How to Calculate Gradients In PyTorch?" --------------------------------

def test_quadratic_gradient(capsys):
    x = torch.tensor([2.0], requires_grad=True)
    y = x**2 + 3 * x + 1
    assert str(y) == "tensor([11.], grad_fn=<AddBackward0>)"
    y.backward()
    print("Gradient of x:", x.grad)
    assert capsys.readouterr().out == "Gradient of x: tensor([7.])\n"
    assert x.grad.tolist() == [7.0]


def test_zero_before_any_backward_fails_as_in_pytorch():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = 2 * x + 1
    z = y.mean()
    assert x.grad is None
    with pytest.raises(AttributeError):
        x.grad.zero_()
    z.backward()
    assert str(x.grad) == "tensor([0.6667, 0.6667, 0.6667])"
    np.testing.assert_allclose(values(x.grad), [2 / 3] * 3, rtol=1e-6)


def test_zero_after_backward_resets_the_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (2 * x + 1).mean().backward()
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    (2 * x + 1).mean().backward()
    np.testing.assert_allclose(values(x.grad), [2 / 3] * 3, rtol=1e-6)


# --- "Automatic Differentiation in PyTorch" (linear regression) --------------

def book_data():
    np.random.seed(42)
    x = np.random.rand(100, 1)
    y = 1 + 2 * x + .1 * np.random.randn(100, 1)
    idx = np.arange(100)
    np.random.shuffle(idx)
    train_idx = idx[:80]
    return x[train_idx], y[train_idx]


def book_tensors():
    x_train, y_train = book_data()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    x_train_tensor = torch.from_numpy(x_train).float().to(device)
    y_train_tensor = torch.from_numpy(y_train).float().to(device)
    return device, x_train_tensor, y_train_tensor


def book_parameters(device):
    torch.manual_seed(42)
    b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    return b, w


def least_squares(x, y):
    design = np.hstack([np.ones_like(x), x])
    (b, w), *_ = np.linalg.lstsq(design, y.ravel(), rcond=None)
    return b, w


def train(b, w, x_train_tensor, y_train_tensor, epochs, lr=0.1):
    for epoch in range(epochs):
        yhat = b + w * x_train_tensor
        error = (y_train_tensor - yhat)
        loss = (error ** 2).mean()
        loss.backward()
        with torch.no_grad():
            b -= lr * b.grad
            w -= lr * w.grad
        b.grad.zero_(), w.grad.zero_()
    return b, w


def numpy_gradient_descent(b, w, x, y, epochs, lr=0.1):
    for _ in range(epochs):
        error = y - (b + w * x)
        b, w = b + lr * 2 * error.mean(), w + lr * 2 * (error * x).mean()
    return b, w


def test_seeded_randn_prints_like_pytorch():
    torch.manual_seed(42)
    assert str(torch.randn(1)) == "tensor([0.3367])"


def test_book_data_tensors():
    device, x_train_tensor, y_train_tensor = book_tensors()
    x_train, y_train = book_data()
    assert x_train_tensor.dtype == torch.float32
    assert tuple(x_train_tensor.shape) == (80, 1)
    assert str(x_train_tensor.device) == device
    np.testing.assert_allclose(values(x_train_tensor), x_train, rtol=1e-6)
    np.testing.assert_allclose(values(y_train_tensor), y_train, rtol=1e-6)


def test_book_parameters():
    device, _, _ = book_tensors()
    b, w = book_parameters(device)
    assert str(b) == "tensor([0.3367], requires_grad=True)"
    assert str(w) == "tensor([0.1288], requires_grad=True)"
    assert b.dtype == torch.float32 and b.is_leaf and b.requires_grad


def test_book_one_backward_gives_mse_gradients():
    device, x_t, y_t = book_tensors()
    x, y = book_data()
    b, w = book_parameters(device)
    yhat = b + w * x_t
    error = (y_t - yhat)
    loss = (error ** 2).mean()
    loss.backward()
    e = y - (b.item() + w.item() * x)
    np.testing.assert_allclose(loss.item(), (e ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(b.grad.item(), -2 * e.mean(), rtol=1e-5)
    np.testing.assert_allclose(w.grad.item(), -2 * (e * x).mean(), rtol=1e-5)


def test_book_update_outside_no_grad_is_refused():
    device, x_t, y_t = book_tensors()
    b, w = book_parameters(device)
    ((y_t - (b + w * x_t)) ** 2).mean().backward()
    before = b.tolist()
    lr = 0.1
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad "
                                           "is being used in an in-place operation."):
        b -= lr * b.grad
    assert b.tolist() == before


def test_book_training_200_epochs_matches_plain_gradient_descent():
    device, x_t, y_t = book_tensors()
    x, y = book_data()
    b, w = book_parameters(device)
    b0, w0 = b.item(), w.item()
    b, w = train(b, w, x_t, y_t, epochs=200)
    ref_b, ref_w = numpy_gradient_descent(b0, w0, x, y, epochs=200)
    np.testing.assert_allclose([b.item(), w.item()], [ref_b, ref_w], atol=1e-4)
    assert b.is_leaf and w.is_leaf and b.requires_grad and w.requires_grad
    assert b.grad.tolist() == [0.0] and w.grad.tolist() == [0.0]


def test_book_training_1000_epochs_reaches_least_squares():
    device, x_t, y_t = book_tensors()
    x, y = book_data()
    b, w = train(*book_parameters(device), x_t, y_t, epochs=1000)
    ref_b, ref_w = least_squares(x, y)
    assert abs(b.item() - ref_b) < 1e-3
    assert abs(w.item() - ref_w) < 1e-3
    assert abs(b.item() - 1.02) < 0.01 and abs(w.item() - 1.97) < 0.01


def test_book_graph_of_yhat():
    device, x_t, _ = book_tensors()
    b, w = book_parameters(device)
    yhat = b + w * x_t
    add = yhat.grad_fn
    assert type(add).__name__ == "AddBackward0"
    (acc_b, i0), (mul, i1) = add.next_functions
    assert (i0, i1) == (0, 0)
    assert type(acc_b).__name__ == "AccumulateGrad"
    assert acc_b.variable is b
    assert type(mul).__name__ == "MulBackward0"
    (acc_w, _), (data, _) = mul.next_functions
    assert type(acc_w).__name__ == "AccumulateGrad"
    assert acc_w.variable is w
    assert data is None


def test_book_graph_without_gradient_for_b():
    device, x_t, _ = book_tensors()
    torch.manual_seed(42)
    b_nograd = torch.randn(1, requires_grad=False, dtype=torch.float, device=device)
    w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    yhat = b_nograd + w * x_t
    (first, _), (mul, _) = yhat.grad_fn.next_functions
    assert first is None
    assert type(mul).__name__ == "MulBackward0"


def test_book_control_flow_graph():
    device, x_t, y_t = book_tensors()
    x, y = book_data()
    b, w = book_parameters(device)
    yhat = b + w * x_t
    error = y_t - yhat
    loss = (error ** 2).mean()
    assert type(loss.grad_fn).__name__ == "MeanBackward0"
    branched = False
    if loss > 0:
        yhat2 = w * x_t
        error2 = y_t - yhat2
        loss += error2.mean()
        branched = True
    assert branched
    assert type(loss.grad_fn).__name__ == "AddBackward0"
    assert not loss.is_leaf and loss.requires_grad
    loss.backward()

    bv, wv = b.item(), w.item()
    e = y - (bv + wv * x)
    e2 = y - wv * x
    np.testing.assert_allclose(loss.item(), (e ** 2).mean() + e2.mean(), rtol=1e-5)
    np.testing.assert_allclose(b.grad.item(), -2 * e.mean(), rtol=1e-5)
    np.testing.assert_allclose(w.grad.item(), -2 * (e * x).mean() - x.mean(), rtol=1e-5)


# --- "Gradients with PyTorch" (Deep Learning Wizard) --------------------------

def test_wizard_tensor_with_gradients():
    a = torch.ones((2, 2), requires_grad=True)
    assert str(a) == ("tensor([[1., 1.],\n"
                      "        [1., 1.]], requires_grad=True)")
    assert a.requires_grad is True


def test_wizard_requires_grad_after_creation():
    a = torch.ones((2, 2))
    a.requires_grad_()
    assert a.requires_grad is True
    no_gradient = torch.ones(2, 2)
    assert no_gradient.requires_grad is False


def test_wizard_add_and_mul():
    a = torch.ones((2, 2), requires_grad=True)
    b = torch.ones((2, 2), requires_grad=True)
    twos = ("tensor([[2., 2.],\n"
            "        [2., 2.]], grad_fn=<AddBackward0>)")
    ones = ("tensor([[1., 1.],\n"
            "        [1., 1.]], grad_fn=<MulBackward0>)")
    assert str(a + b) == twos
    assert str(torch.add(a, b)) == twos
    assert str(a * b) == ones
    assert str(torch.mul(a, b)) == ones


def test_wizard_manual_and_automatic_gradients():
    x = torch.ones(2, requires_grad=True)
    assert str(x) == "tensor([1., 1.], requires_grad=True)"
    y = 5 * (x + 1) ** 2
    assert str(y) == "tensor([20., 20.], grad_fn=<MulBackward0>)"
    o = (1 / 2) * torch.sum(y)
    assert str(o) == "tensor(20., grad_fn=<MulBackward0>)"
    o.backward()
    assert str(x.grad) == "tensor([10., 10.])"
    assert (x.requires_grad, y.requires_grad, o.requires_grad) == (True, True, True)
