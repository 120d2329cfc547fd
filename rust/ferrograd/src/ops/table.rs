//! `define_ops!`, the grammar of the op table in `ops/mod.rs`: each op is
//! declared once, and the table expands to the `Op` enum the graph stores,
//! `Op::name` and `Op::backward`, so the three cannot disagree.

/// The `Op` enum with its `name` and `backward` from one table.
///
/// The table opens with `ctx =>`, naming the `BackwardCtx` the backward
/// expressions read. An entry is `Variant => name, backward;`, after any doc
/// comments for the variant: `Variant` is a unit variant, a tuple variant
/// with its fields named, `Variant(dim: usize)`, or a struct variant,
/// `Variant { dim: usize }`. `name` (the PyTorch class of the node's
/// `grad_fn`, a `&'static str`) and `backward` (a `Result<Grads>`) are
/// expressions over those fields, bound by reference.
macro_rules! define_ops {
    ($ctx:ident => $(
        $(#[$attr:meta])*
        $variant:ident $(($($position:ident : $ptype:ty),* $(,)?))? $({$($field:ident : $ftype:ty),* $(,)?})?
        => $name:expr, $backward:expr;
    )*) => {
        /// A recorded function: what a graph node computed and what it needs for backward.
        #[derive(Clone, Debug)]
        pub enum Op {
            $( $(#[$attr])* $variant $(($($ptype),*))? $({$($field: $ftype),*})?, )*
        }

        impl Op {
            /// The class name PyTorch gives this node's `grad_fn`.
            #[allow(unused_variables)]
            pub fn name(&self) -> &'static str {
                match self {
                    $( Op::$variant $(($($position),*))? $({$($field),*})? => $name, )*
                }
            }

            /// Runs this op's derivative formula.
            #[allow(unused_variables)]
            pub(crate) fn backward(&self, $ctx: &$crate::ops::BackwardCtx) -> $crate::error::Result<$crate::ops::Grads> {
                match self {
                    $( Op::$variant $(($($position),*))? $({$($field),*})? => $backward, )*
                }
            }
        }

        /// The source of every entry's name expression, for checking the table's names.
        #[cfg(test)]
        pub(crate) const NAME_SOURCES: &[&str] = &[$(stringify!($name)),*];
    };
}
pub(super) use define_ops;

#[cfg(test)]
mod tests {
    use crate::ops::{unary, Op, NAME_SOURCES};

    /// Nodes PyTorch names without a numbered `Backward` suffix.
    const UNNUMBERED: [&str; 4] = ["AccumulateGrad", "CopySlices", "CopyBackwards", "NotImplemented"];

    /// Entries whose name comes from a table of their own, with that table's
    /// name sources.
    const SUB_TABLES: [(&str, &[&str]); 1] = [("op.name()", unary::NAME_SOURCES)];

    #[test]
    fn every_name_is_a_pytorch_node_class() {
        let sub_tables = SUB_TABLES.iter().flat_map(|(_, sources)| sources.iter());
        for source in NAME_SOURCES.iter().chain(sub_tables) {
            // A custom function's node takes the name its class gives it.
            if *source == "function.name" {
                continue;
            }
            // An entry delegating to a sub-table; its names are checked there.
            if SUB_TABLES.iter().any(|(delegate, _)| source == delegate) {
                continue;
            }
            // The literals of an expression lie between odd and even quotes.
            let names: Vec<&str> = source.split('"').skip(1).step_by(2).collect();
            assert!(!names.is_empty(), "no name literal in `{source}`");
            for name in names {
                let numbered = name.strip_suffix(|c: char| c.is_ascii_digit()).is_some_and(|stem| stem.ends_with("Backward") && stem.len() > "Backward".len());
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "`{name}` is not a class name");
                assert!(numbered || UNNUMBERED.contains(&name), "`{name}` does not end in Backward<digit>");
            }
        }
    }

    #[test]
    fn the_unary_table_names_every_unary_node() {
        assert_eq!(unary::ALL.len(), unary::NAME_SOURCES.len());
        for (op, source) in unary::ALL.iter().zip(unary::NAME_SOURCES) {
            assert_eq!(format!("{:?}", op.name()), *source);
            assert_eq!(Op::Unary(*op).name(), op.name());
        }
    }
}
