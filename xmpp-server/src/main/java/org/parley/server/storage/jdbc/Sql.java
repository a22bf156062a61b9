package org.parley.server.storage.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/** One-line forms of the prepared statements the stores repeat, so each store reads as its SQL. */
final class Sql {

    private Sql() {
    }

    /** Executes an INSERT, UPDATE or DELETE; returns the row count. */
    static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters)) {
            return statement.executeUpdate();
        }
    }

    /** Whether the query returns a row. */
    static boolean exists(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters);
             ResultSet rs = statement.executeQuery()) {
            return rs.next();
        }
    }

    /** The first column of the first row as a number, or the fallback when there is no row. */
    static long number(Connection c, long fallback, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(c, sql, parameters);
             ResultSet rs = statement.executeQuery()) {
            return rs.next() ? rs.getLong(1) : fallback;
        }
    }

    static PreparedStatement prepare(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) {
                if (parameters[i] == null) {
                    statement.setNull(i + 1, Types.VARCHAR); // the only nullable columns are text
                } else {
                    statement.setObject(i + 1, parameters[i]);
                }
            }
            return statement;
        } catch (SQLException e) {
            statement.close();
            throw e;
        }
    }
}
