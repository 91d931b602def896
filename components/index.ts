// Public API of the gray-release components. Each concern lives in its own folder and is re-exported here.
export * from "./common";
