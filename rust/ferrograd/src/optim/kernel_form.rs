//! Updates as device kernels. An optimizer that can run on a device states
//! its per-element math a second time, beside its host form, as WGSL
//! statements; the device backend wraps them in a kernel that reads each
//! element of the param, its grad and its state, runs the statements and
//! writes the param and state back.
//!
//! The statements see `p` (the param element, a `var`), `g` (its gradient,
//! a `var`), `s0`, `s1`, .. (its state elements, `var`s, in the update's
//! state order) and the number arguments the form names. They must keep the
//! host form's operation order, so both round alike.

/// An update's statements and the numbers they read.
#[derive(Clone, Debug, Default)]
pub struct KernelForm {
    /// WGSL statements; numbers appear as `k0`, `k1`, ...
    pub body: String,
    /// The state tensors the statements read and write.
    pub states: usize,
    /// The numbers, in the element type (float32) on the device.
    pub numbers: Vec<f64>,
}

/// At most this many numbers per form (the kernel's parameter words).
pub const MAX_NUMBERS: usize = 8;
/// At most this many state tensors per param.
pub const MAX_STATES: usize = 3;

impl KernelForm {
    pub fn new(states: usize) -> Self {
        KernelForm { body: String::new(), states, numbers: Vec::new() }
    }

    /// A number the statements will read; returns its name.
    pub fn number(&mut self, value: f64) -> String {
        self.numbers.push(value);
        format!("k{}", self.numbers.len() - 1)
    }

    /// Appends one statement.
    pub fn line(&mut self, statement: impl AsRef<str>) {
        self.body.push_str("    ");
        self.body.push_str(statement.as_ref());
        self.body.push('\n');
    }

    /// `math::effective_grad`: the gradient negated for `maximize`, plus
    /// the L2 penalty `weight_decay * p` when one is set.
    pub fn effective_grad(&mut self, maximize: bool, weight_decay: f64) {
        if maximize {
            self.line("g = -g;");
        }
        if weight_decay != 0.0 {
            let wd = self.number(weight_decay);
            self.line(format!("g = g + {wd} * p;"));
        }
    }
}
