import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Runs SQL statements against the suite's PostgreSQL with the JDBC driver already on the local-stack classpath (no
 * psql needed on the machine): {@code java -cp <classpath> PgExec.java <jdbc-url> <user> <password> <sql>...}.
 * Prints the first column of each statement's first row, one line per statement ({@code -} when there is none).
 */
public final class PgExec {
    public static void main(String[] args) throws Exception {
        try (Connection connection = DriverManager.getConnection(args[0], args[1], args[2]);
                Statement statement = connection.createStatement()) {
            for (int i = 3; i < args.length; i++) {
                if (statement.execute(args[i])) {
                    try (ResultSet rs = statement.getResultSet()) {
                        System.out.println(rs.next() ? rs.getString(1) : "-");
                    }
                } else {
                    System.out.println("-");
                }
            }
        }
    }
}
