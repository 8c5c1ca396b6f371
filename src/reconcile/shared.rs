//! State a kind's controller shares with the loops that serve it (the tasks a service's endpoints follow, read by
//! the task-following loop), one value per type, made on first use: the skeleton carries it without knowing any
//! kind's types.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One shared value per type.
#[derive(Default)]
pub struct Shared(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Shared {
    /// The one `T` of this operator, made with `T::default()` the first time it is asked for.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut values = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let value = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        Arc::clone(value)
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("a value is kept under its own type's id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Default)]
    struct Counter(AtomicU32);

    #[derive(Default)]
    struct Other(AtomicU32);

    #[test]
    fn each_type_has_one_value_made_on_first_use() {
        let shared = Shared::default();
        shared.get::<Counter>().0.fetch_add(2, Ordering::SeqCst);
        shared.get::<Counter>().0.fetch_add(3, Ordering::SeqCst);
        assert_eq!(shared.get::<Counter>().0.load(Ordering::SeqCst), 5);
        assert_eq!(shared.get::<Other>().0.load(Ordering::SeqCst), 0);
    }
}
