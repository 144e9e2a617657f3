/** Keras "caffe" input preprocessing (ResNet50, VGG16): RGB → BGR and ImageNet mean subtraction. */
import { checkFloatImage } from "../floatImage";
import type { FloatImage } from "../types";
import { blankImage, checkChannels } from "./image";

/** ImageNet channel means on the 0–255 scale in BGR order, as Keras `imagenet_utils` subtracts them in caffe mode. */
export const IMAGENET_CAFFE_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];

/**
 * Keras `resnet50.preprocess_input` ("caffe" mode): takes RGB on the 0–255 scale, returns BGR with the ImageNet
 * means subtracted (B − 103.939, G − 116.779, R − 123.68), no scaling. Requires exactly 3 channels; returns a new image.
 * @example
 * const input = caffePreprocess(rescale(rgbUnit, { scale: 255 })); // ready for a Keras ResNet50 backbone
 */
export function caffePreprocess(image: FloatImage): FloatImage {
  checkFloatImage("caffePreprocess", image);
  checkChannels("caffePreprocess", image, [3], "convert a grey image with grayToRgb first");
  const [mb, mg, mr] = IMAGENET_CAFFE_MEAN_BGR;
  const out = blankImage(image.width, image.height, 3);
  const src = image.data;
  const dst = out.data;
  for (let k = 0; k < src.length; k += 3) {
    dst[k] = src[k + 2]! - mb;
    dst[k + 1] = src[k + 1]! - mg;
    dst[k + 2] = src[k]! - mr;
  }
  return out;
}
