package org.cnnkit.retrieval.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads whole files through Hadoop's file systems ({@code file:}, {@code hdfs:}, {@code s3a:}, {@code gs:}) on an
 * executor, with the driver's Hadoop configuration (carried as plain strings: Hadoop's {@link Configuration} is not
 * serializable).
 */
final class HadoopFiles implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<String, String> settings;
    private transient Configuration configuration;

    HadoopFiles(Configuration configuration) {
        Map<String, String> copy = new HashMap<>();
        for (Map.Entry<String, String> entry : configuration) {
            copy.put(entry.getKey(), entry.getValue());
        }
        this.settings = copy;
    }

    /**
     * Reads a file whole.
     *
     * @param uri the file's qualified path, as Spark's {@code binaryFile} source gives it
     * @param maxBytes the largest file read
     * @return the bytes
     * @throws IOException if the file cannot be read, or is larger than {@code maxBytes} (the message says so)
     */
    byte[] read(String uri, long length, long maxBytes) throws IOException {
        if (length > maxBytes) {
            throw new IOException("the file has " + length + " bytes, more than the limit of " + maxBytes
                    + " (raise it with the job's maximum file size)");
        }
        if (length == 0) {
            return new byte[0]; // nothing to open: the decoder says the file is empty
        }
        Path path = new Path(uri);
        FileSystem fs = path.getFileSystem(configuration());
        byte[] content = new byte[(int) length];
        try (InputStream in = fs.open(path)) {
            int read = in.readNBytes(content, 0, content.length);
            if (read < content.length) {
                throw new IOException("the file ended after " + read + " of " + length + " bytes (changed while read?)");
            }
        }
        return content;
    }

    private Configuration configuration() {
        if (configuration == null) {
            Configuration conf = new Configuration(false);
            settings.forEach(conf::set);
            configuration = conf;
        }
        return configuration;
    }
}
