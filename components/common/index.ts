export * from "./validation";
export * from "./security";
export * from "./duration";
