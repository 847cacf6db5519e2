package dev.parley.inference.template;

import com.hubspot.jinjava.util.ForLoop;
import java.util.List;

/**
 * The {@code loop} variable over an already filtered, materialised sequence, so that jinja2's
 * {@code loop.previtem}/{@code loop.nextitem} (used to group tool results) can look both ways. Extends
 * Jinjava's ForLoop so its {@code break}/{@code continue} tags keep working.
 */
public final class PythonLoop extends ForLoop {
    private final List<Object> items;

    PythonLoop(List<Object> items, int depth0) {
        super(items.iterator(), items.size());
        this.items = items;
        this.depth0 = depth0;
    }

    private final int depth0;

    public Object getPrevitem() {
        int i = getIndex0();
        return i > 0 ? items.get(i - 1) : null;
    }

    public Object getNextitem() {
        int i = getIndex0();
        return i + 1 < items.size() ? items.get(i + 1) : null;
    }

    @Override
    public int getDepth() {
        return depth0 + 1;
    }

    @Override
    public int getDepth0() {
        return depth0;
    }
}
