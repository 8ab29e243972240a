//! Statements built at run time (multi-row writes, optional filters) with bound parameters.
//!
//! `sqlx::QueryBuilder<Any>` writes `?` for every parameter, which PostgreSQL refuses; this is
//! the same builder with the placeholder each backend wants: `$1, $2…` on PostgreSQL, bare `?`
//! on SQLite (numbered ones cost a name lookup per parameter there, see [`crate::db::marks`]).
//!
//! ```ignore
//! let mut q = Sql::new(db.backend(), "INSERT INTO tags (id, name) ");
//! q.push_values(&tags, |mut row, t| {
//!     row.push_bind(t.id).push_bind(&t.name);
//! });
//! q.build().execute(db.pool()).await?;
//! ```

use std::fmt::Display;

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Arguments, Encode, FromRow, Type};

use crate::db::Backend;

/// A statement and its arguments, built piece by piece.
pub struct Sql<'q> {
    sql: String,
    args: AnyArguments<'q>,
    sqlite: bool,
    bound: usize,
}

impl<'q> Sql<'q> {
    /// Starts a statement with `init` for `backend`.
    pub fn new(backend: Backend, init: impl Into<String>) -> Self {
        Sql {
            sql: init.into(),
            args: AnyArguments::default(),
            sqlite: backend == Backend::Sqlite,
            bound: 0,
        }
    }

    /// Starts a statement for the backend of an open connection (inside a transaction).
    pub fn on(conn: &sqlx::AnyConnection, init: impl Into<String>) -> Self {
        let backend = if crate::db::is_sqlite(conn) { Backend::Sqlite } else { Backend::Postgres };
        Sql::new(backend, init)
    }

    /// Appends SQL text (never user input: bind that with [`Sql::push_bind`]).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.bound += 1;
        let mark = crate::db::mark(self.sqlite, self.bound);
        self.sql.push_str(&mark);
        if let Err(e) = self.args.add(value) {
            // Encoding into the Any buffer only fails for types it cannot carry; make it a
            // statement error at execution rather than a panic here.
            tracing::error!(error = %e, "parameter could not be encoded");
        }
        self
    }

    /// Appends `VALUES (…), (…)`: `row` binds the columns of one item, separated by commas.
    pub fn push_values<I, F>(&mut self, items: I, mut row: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_, 'q>, I::Item),
    {
        self.sql.push_str("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            row(Separated { sql: self, first: true }, item);
            self.sql.push(')');
        }
        self
    }

    /// Appends items separated by `sep` (for `IN (…)` lists and `SET a = …, b = …`).
    pub fn separated(&mut self, sep: &'static str) -> SeparatedBy<'_, 'q> {
        SeparatedBy { sql: self, sep, first: true }
    }

    /// The statement text so far.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many parameters are bound.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// The statement, ready to run; the builder is left empty of arguments.
    pub fn build(&mut self) -> Query<'_, Any, AnyArguments<'_>> {
        sqlx::query_with(&self.sql, std::mem::take(&mut self.args))
    }

    /// The statement mapping each row into `O`.
    pub fn build_query_as<O>(&mut self) -> QueryAs<'_, Any, O, AnyArguments<'_>>
    where
        O: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(&self.sql, std::mem::take(&mut self.args))
    }

    /// The statement returning the first column of each row.
    pub fn build_query_scalar<O>(&mut self) -> QueryScalar<'_, Any, O, AnyArguments<'_>>
    where
        (O,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(&self.sql, std::mem::take(&mut self.args))
    }
}

/// The columns of one row of a `VALUES` list.
pub struct Separated<'b, 'q> {
    sql: &'b mut Sql<'q>,
    first: bool,
}

impl<'q> Separated<'_, 'q> {
    /// Binds the next column.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if !self.first {
            self.sql.sql.push_str(", ");
        }
        self.first = false;
        self.sql.push_bind(value);
        self
    }

    /// Writes the next column as SQL text (a constant or an expression).
    pub fn push_unseparated(&mut self, sql: impl Display) -> &mut Self {
        self.sql.push(sql);
        self
    }
}

/// Items separated by a fixed string.
pub struct SeparatedBy<'b, 'q> {
    sql: &'b mut Sql<'q>,
    sep: &'static str,
    first: bool,
}

impl<'q> SeparatedBy<'_, 'q> {
    /// Writes the separator (except before the first item) and then `sql`.
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        if !self.first {
            self.sql.sql.push_str(self.sep);
        }
        self.first = false;
        self.sql.push(sql);
        self
    }

    /// Writes the separator (except before the first item) and binds `value`.
    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if !self.first {
            self.sql.sql.push_str(self.sep);
        }
        self.first = false;
        self.sql.push_bind(value);
        self
    }

    /// Binds `value` right after what was just written, without a separator.
    pub fn push_bind_unseparated<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.sql.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_statements_number_their_parameters() {
        let mut q = Sql::new(Backend::Postgres, "INSERT INTO t (a, b) ");
        q.push_values([(1_i64, "x"), (2, "y")], |mut r, (a, b)| {
            r.push_bind(a).push_bind(b);
        });
        q.push(" ON CONFLICT DO NOTHING");
        assert_eq!(
            q.sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(q.bound(), 4);
    }

    #[test]
    fn sqlite_statements_use_bare_marks() {
        let mut q = Sql::new(Backend::Sqlite, "SELECT * FROM t WHERE id IN (");
        let mut ids = q.separated(", ");
        for id in [7_i64, 8, 9] {
            ids.push_bind(id);
        }
        q.push(")");
        assert_eq!(q.sql(), "SELECT * FROM t WHERE id IN (?, ?, ?)");
    }

    #[test]
    fn a_filter_can_follow_a_fixed_start() {
        let mut q = Sql::new(Backend::Postgres, "SELECT id FROM t WHERE 1 = 1");
        q.push(" AND a = ").push_bind("x");
        q.push(" AND b = ").push_bind(3_i64);
        assert_eq!(q.sql(), "SELECT id FROM t WHERE 1 = 1 AND a = $1 AND b = $2");
    }
}
