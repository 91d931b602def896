// Image references are parsed the same way everywhere in the package.
export { defaultVersionLabel, type ImageReference, isPinnedImage, parseImageReference } from "../components/common/image";
