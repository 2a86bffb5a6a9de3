package org.cnnkit.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cnnkit.core.image.BatchDecoder;

/** The report form of files a command went past because they could not be decoded: a list of {file, reason}. */
final class SkippedFiles {

    private SkippedFiles() {
    }

    /**
     * Returns the value of a report's {@code skipped} key.
     *
     * @param skipped the files and why they were skipped
     * @return one {@code {file, reason}} object per file, in the order given; empty when nothing was skipped
     */
    static List<Map<String, Object>> toReport(List<BatchDecoder.Unreadable> skipped) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (BatchDecoder.Unreadable unreadable : skipped) {
            entries.add(Map.of("file", unreadable.file().toString(), "reason", unreadable.reason()));
        }
        return entries;
    }
}
