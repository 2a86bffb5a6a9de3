package org.cnnkit.retrieval;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The one-file format of a {@link FeatureIndex}.
 *
 * <pre>
 * header   8 bytes magic "CNNKITFI", int format version (1)
 * body     int dimension, UTF metric,
 *          boolean has-identity [UTF model, UTF weights checksum, int height, int width, int channels,
 *                                UTF preprocessing, int dimension],
 *          int property count, per property: key and value (int length + UTF-8 bytes),
 *          int step count, per step: UTF kind, int dimensions, double variance share,
 *          boolean fitted [fitted pipeline parameters],
 *          int n, n ids (int length + UTF-8 bytes), n stamps (int length or -1 + UTF-8 bytes),
 *          n * dimension floats (big-endian), row after row
 * trailer  8 bytes "CNKITEND", long body length, long CRC32C of header + body
 * </pre>
 *
 * The file is written to a temporary file in the same folder, forced to disk and moved over the target
 * atomically. Reading checks magic, version, trailer, length and checksum before the body is parsed.
 */
final class IndexFormat {

    static final int VERSION = 1;
    private static final byte[] MAGIC = "CNNKITFI".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "CNKITEND".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 12;
    private static final int TRAILER_BYTES = 24;
    private static final int ROWS_PER_BLOCK = 1024;
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_DIMENSION_WITHOUT_VECTORS = 1 << 16;

    private IndexFormat() {
    }

    static void write(Path path, FeatureIndex index, UnaryOperator<OutputStream> wrapper) {
        Path target = path.toAbsolutePath();
        Path folder = target.getParent();
        Path temp = null;
        try {
            Files.createDirectories(folder);
            temp = Files.createTempFile(folder, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                CRC32C crc = new CRC32C();
                OutputStream file = wrapper.apply(java.nio.channels.Channels.newOutputStream(channel));
                CountingOutputStream counter = new CountingOutputStream(new CheckedOutputStream(
                        new BufferedOutputStream(new NonClosing(file), 1 << 16), crc));
                DataOutputStream out = new DataOutputStream(counter);
                out.write(MAGIC);
                out.writeInt(VERSION);
                long bodyStart = counter.count;
                writeBody(out, index);
                out.flush();
                long bodyLength = counter.count - bodyStart;
                long checksum = crc.getValue();
                DataOutputStream trailer = new DataOutputStream(new BufferedOutputStream(new NonClosing(file)));
                trailer.write(END);
                trailer.writeLong(bodyLength);
                trailer.writeLong(checksum);
                trailer.flush();
                file.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IndexFileException(target, "the file system cannot replace files atomically", e);
            }
            temp = null;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IndexFileException ife) {
                throw ife;
            }
            throw new IndexFileException(target, "cannot save (" + e + "); the previous file, if any, is unchanged", e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The failure that brought us here is the one to report.
                }
            }
        }
    }

    private static void writeBody(DataOutputStream out, FeatureIndex index) throws IOException {
        int d = index.dimension();
        out.writeInt(d);
        out.writeUTF(index.metric().name());
        ExtractorIdentity identity = index.identity().orElse(null);
        out.writeBoolean(identity != null);
        if (identity != null) {
            out.writeUTF(identity.model());
            out.writeUTF(identity.weightsChecksum());
            out.writeInt(identity.inputShape().height());
            out.writeInt(identity.inputShape().width());
            out.writeInt(identity.inputShape().channels());
            out.writeUTF(identity.preprocessing().name());
            out.writeInt(identity.dimension());
        }
        out.writeInt(index.storedProperties().size());
        for (var entry : index.storedProperties().entrySet()) {
            writeString(out, entry.getKey());
            writeString(out, entry.getValue());
        }
        out.writeInt(index.transforms().size());
        for (VectorTransform step : index.transforms()) {
            out.writeUTF(step.kind().name());
            out.writeInt(step.dimensions());
            out.writeDouble(step.varianceFraction());
        }
        FittedPipeline fitted = index.fittedPipeline();
        out.writeBoolean(fitted != null);
        if (fitted != null) {
            fitted.write(out);
        }
        int n = index.storedRows();
        out.writeInt(n);
        for (String id : index.storedIds()) {
            writeString(out, id);
        }
        for (String stamp : index.storedStamps()) {
            if (stamp == null) {
                out.writeInt(-1);
            } else {
                writeString(out, stamp);
            }
        }
        for (int start = 0; start < n; start += ROWS_PER_BLOCK) {
            int end = Math.min(n, start + ROWS_PER_BLOCK);
            float[] values = index.rawRows(start, end).dup('c').data().asFloat();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES);
            bytes.asFloatBuffer().put(values);
            out.write(bytes.array());
        }
    }

    static FeatureIndex read(Path path) {
        Path file = path.toAbsolutePath();
        long length;
        try {
            length = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IndexFileException(file, "no such file");
        } catch (IOException e) {
            throw new IndexFileException(file, "cannot read (" + e.getMessage() + ")", e);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (length < HEADER_BYTES) {
                throw new IndexFileException(file, "only " + length + " bytes: truncated, or not a cnnkit feature index");
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            readFully(channel, header, 0);
            byte[] magic = new byte[MAGIC.length];
            header.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IndexFileException(file, "not a cnnkit feature index (wrong magic number)");
            }
            int version = header.getInt();
            if (version > VERSION) {
                throw new IndexFileException(file, "written in format version " + version
                        + " by a newer cnnkit; this version reads format versions up to " + VERSION);
            }
            if (version < 1) {
                throw new IndexFileException(file, "unknown format version " + version + ": the file is damaged");
            }
            if (length < HEADER_BYTES + TRAILER_BYTES) {
                throw new IndexFileException(file, "truncated: " + length + " bytes, too short for an index");
            }
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
            readFully(channel, trailer, length - TRAILER_BYTES);
            byte[] end = new byte[END.length];
            trailer.get(end);
            long bodyLength = trailer.getLong();
            long checksum = trailer.getLong();
            if (!Arrays.equals(end, END)) {
                throw new IndexFileException(file, "truncated or damaged: the end marker is missing");
            }
            if (bodyLength != length - HEADER_BYTES - TRAILER_BYTES) {
                throw new IndexFileException(file, "truncated or damaged: the trailer records a body of "
                        + bodyLength + " bytes but the file holds " + (length - HEADER_BYTES - TRAILER_BYTES));
            }
            long actual = checksum(channel, length - TRAILER_BYTES);
            if (actual != checksum) {
                throw new IndexFileException(file, "checksum mismatch (stored " + Long.toHexString(checksum)
                        + ", computed " + Long.toHexString(actual) + "): the file is damaged");
            }
            channel.position(HEADER_BYTES);
            InputStream body = new BufferedInputStream(java.nio.channels.Channels.newInputStream(channel), 1 << 16);
            return readBody(new DataInputStream(new LimitedInputStream(body, bodyLength)), bodyLength);
        } catch (IndexFileException e) {
            throw e;
        } catch (EOFException e) {
            throw new IndexFileException(file, "damaged: its content ends early", e);
        } catch (IOException | RuntimeException e) {
            throw new IndexFileException(file, "damaged or unreadable (" + e.getMessage() + ")", e);
        }
    }

    private static FeatureIndex readBody(DataInputStream in, long bodyLength) throws IOException {
        int d = in.readInt();
        // An index without vectors is shorter than its dimension: allow up to 65,536 then (the reader allocates
        // a few rows of d floats before it knows the count); larger ones must come with their vectors.
        if (d < 1 || (d > bodyLength && d > MAX_DIMENSION_WITHOUT_VECTORS)) {
            throw new IOException("implausible dimension " + d);
        }
        FeatureIndex.Builder builder = FeatureIndex.builder().setDimension(d).optMetric(parseEnum(Metric.class, in.readUTF()));
        if (in.readBoolean()) {
            String model = in.readUTF();
            String weights = in.readUTF();
            InputShape shape = new InputShape(in.readInt(), in.readInt(), in.readInt());
            Preprocessing preprocessing = parseEnum(Preprocessing.class, in.readUTF());
            builder.optExtractor(new ExtractorIdentity(model, weights, shape, preprocessing, in.readInt()));
        }
        int propertyCount = in.readInt();
        if (propertyCount < 0 || propertyCount > bodyLength / 8) {
            throw new IOException("implausible property count " + propertyCount);
        }
        java.util.Map<String, String> properties = new java.util.TreeMap<>();
        for (int i = 0; i < propertyCount; i++) {
            properties.put(readString(in, false), readString(in, false));
        }
        int steps = in.readInt();
        if (steps < 0 || steps > 64) {
            throw new IOException("implausible transform step count " + steps);
        }
        for (int i = 0; i < steps; i++) {
            VectorTransform.Kind kind = parseEnum(VectorTransform.Kind.class, in.readUTF());
            int dimensions = in.readInt();
            builder.addTransform(new VectorTransform(kind, dimensions, in.readDouble()));
        }
        FittedPipeline fitted = in.readBoolean() ? FittedPipeline.read(in, d) : null;
        int n = in.readInt();
        if (n < 0 || (long) n * d * Float.BYTES > bodyLength) {
            throw new IOException("implausible vector count " + n);
        }
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(readString(in, false));
        }
        List<String> stamps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            stamps.add(readString(in, true));
        }
        if (new java.util.HashSet<>(ids).size() != n) {
            throw new IOException("duplicate ids");
        }
        INDArray vectors = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, n, d);
        byte[] block = new byte[Math.multiplyExact(Math.min(n, ROWS_PER_BLOCK), d * Float.BYTES)];
        for (int start = 0; start < n; start += ROWS_PER_BLOCK) {
            int rows = Math.min(n, start + ROWS_PER_BLOCK) - start;
            int bytes = rows * d * Float.BYTES;
            in.readFully(block, 0, bytes);
            float[] values = new float[rows * d];
            ByteBuffer.wrap(block, 0, bytes).asFloatBuffer().get(values);
            vectors.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + rows),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(Nd4j.createFromArray(values).reshape(rows, d));
        }
        if (in.read() != -1) {
            throw new IOException("unexpected bytes after the vectors");
        }
        return FeatureIndex.restore(builder, properties, vectors, ids, stamps, fitted);
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String name) throws IOException {
        try {
            return Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            throw new IOException("unknown " + type.getSimpleName() + " '" + name + "'");
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in, boolean nullable) throws IOException {
        int length = in.readInt();
        if (length == -1 && nullable) {
            return null;
        }
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new IOException("implausible string length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new EOFException();
            }
        }
        buffer.flip();
    }

    private static long checksum(FileChannel channel, long upTo) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long position = 0;
        while (position < upTo) {
            buffer.clear();
            buffer.limit((int) Math.min(buffer.capacity(), upTo - position));
            int read = channel.read(buffer, position);
            if (read < 0) {
                throw new EOFException();
            }
            buffer.flip();
            crc.update(buffer);
            position += read;
        }
        return crc.getValue();
    }

    /** Counts the bytes written through it. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** Keeps the underlying stream open when a wrapper is closed or garbage-collected. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Reads at most a given number of bytes, then reports the end of the stream. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private long remaining;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = in.read(b, off, (int) Math.min(len, remaining));
            if (read > 0) {
                remaining -= read;
            }
            return read;
        }
    }
}
