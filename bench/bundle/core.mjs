// All of @nursery/core's public exports: the figure held against the 6 KB min+gz bar.
export * from "@nursery/core";
