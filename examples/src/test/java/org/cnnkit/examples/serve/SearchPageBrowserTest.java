package org.cnnkit.examples.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The page in a real browser: upload a query, see the result tiles in order, click one to search with it. */
class SearchPageBrowserTest {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @TempDir
    Path dir;

    @Test
    void uploadAQuerySeeTheTilesInOrderAndSearchWithAResult() throws Exception {
        Browser.requireInstalled();
        TestGallery gallery = new TestGallery(dir, 3);
        Path query = gallery.anyImage();
        try (SearchServer server = gallery.server().build().start()) {
            for (int[] window : new int[][] {{1280, 1000}, {390, 1400}}) {
                try (Browser browser = Browser.open(window[0], window[1])) {
                    searchAndFollow(browser, server, query, 8, "generated-" + window[0]);
                }
            }
        }
    }

    @Test
    void onCorel1kWithMobileNetV2TheSameQueryFindsItsOwnCategory() throws Exception {
        Browser.requireInstalled();
        Path assets = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"));
        Path corel = assets.resolve("corel1k");
        Path weights = assets.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(corel) && Files.isRegularFile(weights),
                "Corel-1K or the MobileNetV2 weights not found under " + assets + ": skipping");
        var search = org.cnnkit.retrieval.ImageSearch.create(
                org.cnnkit.retrieval.ExtractorSpec.mobileNetV2(0.35).withWeights(weights),
                org.cnnkit.retrieval.SearchSettings.defaults(), org.cnnkit.core.progress.ProgressListener.none());
        search.indexFolder(corel, org.cnnkit.core.progress.ProgressListener.none());
        Path query = corel.resolve("horses").toAbsolutePath().normalize();
        try (var files = Files.list(query)) {
            query = files.filter(f -> f.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
        }
        try (SearchServer server = SearchServer.builder().setSearch(search).optPort(0).optStoreName("exact:corel1k-mnv2.cfi").build().start()) {
            for (int[] window : new int[][] {{1280, 1010}, {390, 1500}}) {
                try (Browser browser = Browser.open(window[0], window[1])) {
                    searchAndFollow(browser, server, query, 12, "corel-" + window[0]);
                }
            }
            var api = new HttpTestClient(server);
            var found = HttpTestClient.json(api.upload("/api/search", "q.jpg", Files.readAllBytes(query), "10"));
            long horses = 0;
            for (var result : found.get("results")) {
                horses += result.get("id").asText().contains("/horses/") ? 1 : 0;
            }
            assertThat(horses).as("horses among the 10 nearest").isGreaterThanOrEqualTo(8);
        }
    }

    /** Opens the page, searches with a file, checks the tiles, clicks the second result and checks its search. */
    static void searchAndFollow(Browser browser, SearchServer server, Path query, int top, String name)
            throws Exception {
        var driver = browser.driver;
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(120));
        // The tiles are replaced when results arrive: an element found just before may be gone when read.
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        driver.get(server.uri().toString());
        wait.until(ExpectedConditions.textMatches(By.id("stats"), java.util.regex.Pattern.compile("\\d+ images")));
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("top"))).selectByVisibleText(
                Integer.toString(top));
        driver.findElement(By.id("file")).sendKeys(query.toAbsolutePath().toString());
        wait.until(d -> d.findElements(By.cssSelector("#results li.tile")).size() == top);
        wait.until(d -> allImagesLoaded(d));

        List<WebElement> tiles = driver.findElements(By.cssSelector("#results li.tile"));
        assertThat(tiles.get(0).getAttribute("data-id")).isEqualTo(query.toAbsolutePath().normalize().toString());
        double previous = -1;
        for (int i = 0; i < tiles.size(); i++) {
            WebElement tile = tiles.get(i);
            assertThat(tile.getAttribute("data-rank")).isEqualTo(Integer.toString(i + 1));
            double distance = Double.parseDouble(tile.findElement(By.cssSelector(".distance")).getText()
                    .replace("distance ", ""));
            assertThat(distance).isGreaterThanOrEqualTo(previous);
            previous = distance;
            assertThat(tile.findElement(By.cssSelector(".file")).getText()).isNotBlank();
        }
        assertThat(driver.findElement(By.id("query-name")).getText()).isEqualTo(query.getFileName().toString());
        browser.screenshot(SCREENSHOTS.resolve(name + "-upload.png"));

        WebElement second = tiles.get(1);
        String clickedId = second.getAttribute("data-id");
        String clickedName = second.findElement(By.cssSelector(".file")).getText();
        second.findElement(By.cssSelector("button.pick")).click();
        wait.until(ExpectedConditions.textToBe(By.id("query-name"), clickedName));
        wait.until(d -> {
            List<WebElement> now = d.findElements(By.cssSelector("#results li.tile"));
            return now.size() == top && now.stream().noneMatch(t -> clickedId.equals(t.getAttribute("data-id")));
        });
        wait.until(d -> allImagesLoaded(d));
        assertThat(driver.findElement(By.id("message")).isDisplayed()).isFalse();
        browser.screenshot(SCREENSHOTS.resolve(name + "-more-like-this.png"));
        assertThat(Files.size(SCREENSHOTS.resolve(name + "-more-like-this.png"))).isGreaterThan(1000);
    }

    private static boolean allImagesLoaded(org.openqa.selenium.WebDriver driver) {
        Object done = ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
                "return Array.from(document.images).every(function (i) { return i.complete && i.naturalWidth > 0; });");
        return Boolean.TRUE.equals(done);
    }
}
