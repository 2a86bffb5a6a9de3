package org.cnnkit.retrieval.store.postgres;

import com.pgvector.PGvector;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Loads rows of (id, stamp, vector) into a table with PostgreSQL's binary {@code COPY ... FROM STDIN}: the
 * {@code PGCOPY} signature, flags and header extension, then per row the field count and each field's length and
 * bytes (text as UTF-8, the vector in pgvector's binary form written by {@link PGvector}), then the end marker.
 * One round trip streams the whole batch, inside the caller's transaction.
 */
final class BinaryCopy {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final int BUFFER = 1 << 16;

    private BinaryCopy() {
    }

    /**
     * Copies rows into {@code table (id, stamp, embedding)}.
     *
     * @param connection a connection in a transaction
     * @param table the quoted table name
     * @param ids the ids
     * @param stamps the stamps, null entries for none
     * @param vectors the vectors (after the pipeline), one per id
     * @return the number of rows the server took
     * @throws SQLException if the server refuses a row or the connection fails (the transaction must then roll
     *     back)
     */
    static long copy(Connection connection, String table, List<String> ids, List<String> stamps, float[][] vectors)
            throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + table + " (id, stamp, embedding) FROM STDIN WITH (FORMAT BINARY)");
        try {
            DataOutputStream out = new DataOutputStream(new PGCopyOutputStream(copy, BUFFER));
            out.write(SIGNATURE);
            out.writeInt(0);
            out.writeInt(0);
            byte[] vectorBytes = new byte[0];
            for (int i = 0; i < ids.size(); i++) {
                out.writeShort(3);
                writeText(out, ids.get(i));
                writeText(out, stamps.get(i));
                PGvector vector = new PGvector(vectors[i]);
                int length = vector.lengthInBytes();
                if (vectorBytes.length != length) {
                    vectorBytes = new byte[length];
                }
                vector.toBytes(vectorBytes, 0);
                out.writeInt(length);
                out.write(vectorBytes);
            }
            out.writeShort(-1);
            out.flush();
            return copy.endCopy();
        } catch (IOException e) {
            throw new SQLException("streaming the rows to COPY failed: " + e.getMessage(), e);
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private static void writeText(DataOutputStream out, String text) throws IOException {
        if (text == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }
}
