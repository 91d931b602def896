// Image references are parsed the same way everywhere in the package.
export { type ImageReference, parseImageReference, isPinnedImage, defaultVersionLabel } from "../components/common/image";
